"""What the installed rclpy offers, found by looking at it, never by distro name.

Robots run rclpy 3.3 (Humble), 7.1 (Jazzy) and 9.1 (Kilted); the node relies only
on what all three have, except where a check here says otherwise.
"""

from __future__ import annotations

from lifecycle_msgs.srv import ChangeState
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.lifecycle import LifecycleNode
from rclpy.subscription import Subscription

#: Whether a two-argument subscription callback gets (message, message info). rclpy
#: chooses between one and two arguments by ``Subscription.CallbackType``, which came
#: with the message-info argument (rclpy 3.4, released in Iron); Humble's 3.3 has
#: neither and always calls with the message alone.
CALLBACK_GETS_MESSAGE_INFO: bool = hasattr(Subscription, "CallbackType")


def refuse_unavailable_transitions(node: LifecycleNode) -> None:
    """Answer FAILURE to a transition the node's state does not have (activate while
    unconfigured), on every rclpy. Humble's and Jazzy's let the state machine's
    RCLError out of the change_state service, and so out of spin: one bad request
    ended the node. Kilted's (rclpy 9) answers FAILURE itself; the wrapper then
    never sees the error. The service object is the one all three keep in
    ``_service_change_state``."""
    service = node._service_change_state
    answer = service.callback

    def refusing(request: ChangeState.Request,
                 response: ChangeState.Response) -> ChangeState.Response:
        try:
            return answer(request, response)
        except _rclpy.RCLError as e:
            wanted = request.transition.label or request.transition.id
            node.get_logger().error(f"transition {wanted} refused: not available now ({e})")
            response.success = False
            return response
    service.callback = refusing
