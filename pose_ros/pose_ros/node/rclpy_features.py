"""What the installed rclpy offers, found by looking at it, never by distro name.

Robots run rclpy 3.3 (Humble), 7.1 (Jazzy) and 9.1 (Kilted); the node relies only
on what all three have, except where a check here says otherwise.
"""

from __future__ import annotations

from rclpy.subscription import Subscription

#: Whether a two-argument subscription callback gets (message, message info). rclpy
#: chooses between one and two arguments by ``Subscription.CallbackType``, which came
#: with the message-info argument (rclpy 3.4, released in Iron); Humble's 3.3 has
#: neither and always calls with the message alone.
CALLBACK_GETS_MESSAGE_INFO: bool = hasattr(Subscription, "CallbackType")
