"""`ros2 launch eva bringup.launch.py [sim:=true|false] [task:=NAME] [NAME:=VALUE ...]`

The EVA node graph on a ROS 2 (Jazzy) install. The nodes, their parameters and remappings come from
config/bringup/graph.yaml through `eva.graph`, the description `eva bringup` also reads, so the two
ways of starting the stack cannot drift apart. Every graph argument is a launch argument
(`ros2 launch eva bringup.launch.py --show-args` lists them with their defaults).

Relative paths in arguments (config/..., models/...) are taken from $EVA_HOME, else from the checkout
the eva package was built from. DDS discovery follows the environment: set
ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST (and a ROS_DOMAIN_ID) unless the graph must reach the lab
network. The arm driver is a lifecycle node started with autostart:=true (configure + activate).

As with `eva bringup`: a bad argument (a missing file, an unknown task, a value of the wrong type)
stops the launch before any node starts, with one line naming the argument, and a node that exits
while the graph runs stops the whole graph (`ros2 launch` then exits with 1). Ctrl-C stops every node
cleanly. Unlike `eva bringup`, launch sends SIGINT to all nodes at once rather than executor first and
robot last: the executor's last command is a braking hold, and the arm driver holds, then disables the
arms on its own shutdown.
"""

from functools import partial

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction, RegisterEventHandler
from launch.event_handlers import OnProcessExit
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from eva.graph import check_arguments, load_graph, resolve_arguments, resolve_graph


def _nodes(context, *args, **kwargs):
    graph = load_graph()
    values = {name: LaunchConfiguration(name).perform(context) for name in graph.arguments}
    # A ConfigError here ends the launch before anything starts: ros2 launch prints it, exit code 1.
    check_arguments(graph, resolve_arguments(graph, values))
    actions = []
    for spec in resolve_graph(graph, values):
        node = Node(
            package="eva",
            executable=spec.executable,
            name=spec.name,
            parameters=[spec.parameters],
            remappings=list(spec.remappings.items()),
            output="screen",
            emulate_tty=True,
        )
        actions += [node, RegisterEventHandler(OnProcessExit(target_action=node, on_exit=partial(_node_exited, spec.name)))]
    return actions


def _node_exited(name, event, context):
    """A node gone while the graph runs stops the graph: the exception makes launch shut everything
    down and exit with 1 (a Shutdown event would exit with 0, as if all were well)."""
    if context.is_shutdown:
        return None  # already stopping (Ctrl-C or another node): launch logs each exit
    raise RuntimeError(f"node {name} exited with code {event.returncode} while the graph was running: stopping the graph")


def generate_launch_description() -> LaunchDescription:
    graph = load_graph()
    arguments = [
        DeclareLaunchArgument(name, default_value=str(arg.default).lower() if arg.type == "bool" else str(arg.default), description=arg.description)
        for name, arg in graph.arguments.items()
    ]
    return LaunchDescription([*arguments, OpaqueFunction(function=_nodes)])
