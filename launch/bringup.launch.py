"""`ros2 launch eva bringup.launch.py [sim:=true|false] [task:=NAME] [NAME:=VALUE ...]`

The EVA node graph on a ROS 2 (Jazzy) install. The nodes, their parameters and remappings come from
config/bringup/graph.yaml through `eva.graph`, the description `eva bringup` also reads, so the two
ways of starting the stack cannot drift apart. Every graph argument is a launch argument
(`ros2 launch eva bringup.launch.py --show-args` lists them with their defaults).

Relative paths in arguments (config/..., models/...) are taken from $EVA_HOME, else from the checkout
the eva package was built from. DDS discovery follows the environment: set
ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST (and a ROS_DOMAIN_ID) unless the graph must reach the lab
network. The arm driver is a lifecycle node started with autostart:=true (configure + activate).
"""

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from eva.graph import load_graph, resolve_graph


def _nodes(context, *args, **kwargs):
    graph = load_graph()
    values = {name: LaunchConfiguration(name).perform(context) for name in graph.arguments}
    return [
        Node(
            package="eva",
            executable=spec.executable,
            name=spec.name,
            parameters=[spec.parameters],
            remappings=list(spec.remappings.items()),
            output="screen",
            emulate_tty=True,
        )
        for spec in resolve_graph(graph, values)
    ]


def generate_launch_description() -> LaunchDescription:
    graph = load_graph()
    arguments = [
        DeclareLaunchArgument(name, default_value=str(arg.default).lower() if arg.type == "bool" else str(arg.default), description=arg.description)
        for name, arg in graph.arguments.items()
    ]
    return LaunchDescription([*arguments, OpaqueFunction(function=_nodes)])
