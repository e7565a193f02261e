from glob import glob

from setuptools import find_packages, setup

PACKAGE = "pose_ros"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=find_packages(exclude=["test"]),
    package_data={"pose_ros.models": ["manifest.json", "convert_requirements.txt"]},
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.py")),
        (f"share/{PACKAGE}/config", glob("config/*")),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="pose_ros maintainers",
    maintainer_email="maintainers@pose-ros.dev",
    description="Human pose estimation for ROS 2 (PoseNet, MoveNet) on TensorRT or ONNX Runtime.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "pose_node = pose_ros.node.main:main",
            "pose-ros-models = pose_ros.models.cli:main",
            "pose-ros-demo = pose_ros.node.demo:main",
            "pose-ros = pose_ros.cli:main",
        ],
    },
)
