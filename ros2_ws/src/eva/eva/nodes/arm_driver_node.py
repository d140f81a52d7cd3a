"""Arm driver node (lifecycle): the two PiPER arms behind `/joint_states` and `/joint_commands`.

Lifecycle (ros2_control convention): configure connects the CAN buses (state readable, published at
200 Hz); activate enables the motors and accepts commands; deactivate refuses commands and holds;
cleanup disconnects. `autostart:=true` configures and activates at start-up (what bringup uses when
no lifecycle manager runs).

Commands (`/joint_commands`, JointState by name) pass a `CommandStream` (the command guard: stale,
reordered, non-finite or malformed commands become a braking hold; jumps are limited), then each
arm's own guard in `Arm.send`. No fresh command for `command_timeout_s` -> hold. A device fault
(lost CAN feedback, firmware error, e-stop) stops commanding and is reported on /diagnostics in the
device's own words. Services: `~/enable` (std_srvs/SetBool), `~/emergency_stop`, `~/resume` (Trigger).
"""

from __future__ import annotations

from rclpy.lifecycle import State, TransitionCallbackReturn
from sensor_msgs.msg import JointState
from std_srvs.srv import SetBool, Trigger

from eva.conversions import MessageError, joint_state_msg, joint_state_position, to_seconds
from eva.node_support import EvaLifecycleNode, main_for
from eva_core.devices.arms import ArmError, make_bimanual
from eva_core.devices.devices_file import load_devices
from eva_core.safety import CommandGuard, CommandStream


class ArmDriverNode(EvaLifecycleNode):
    def __init__(self, **node_options) -> None:
        super().__init__("arm_driver", **node_options)  # node_options: context, parameter_overrides (in-process tests)
        self.embodiment = self.load_embodiment_parameter()
        self.devices_path = self.declare("devices", "", "device file: arms (type, CAN channel) and cameras")
        autostart = self.declare("autostart", False, "configure and activate at start-up")
        self.names = list(self.embodiment.joint_names)
        self.arms = None
        self.active = False
        self.stream = CommandStream(CommandGuard.from_config(self.embodiment))
        self.joint_pub = self.create_publisher(JointState, "/joint_states", 10)
        self.diagnostics = self.diagnostics_publisher()
        self.create_subscription(JointState, "/joint_commands", self.on_command, 10)
        self.create_service(SetBool, "~/enable", self.on_enable)
        self.create_service(Trigger, "~/emergency_stop", self.on_estop)
        self.create_service(Trigger, "~/resume", self.on_resume)
        self.create_timer(self.embodiment.control_dt, self.on_tick)
        self._reported_fault = None
        if autostart:
            self.trigger_configure()
            if self.arms is not None:
                self.trigger_activate()

    # ------------------------------------------------------------------------------------ lifecycle

    def on_configure(self, state: State) -> TransitionCallbackReturn:
        try:
            devices = load_devices(self.devices_path)
            self.arms = make_bimanual(devices.arms, self.embodiment)
            self.arms.connect()
        except (ArmError, ValueError, OSError) as err:
            self.get_logger().error(f"configure failed: {err}")
            self.arms = None
            return TransitionCallbackReturn.FAILURE
        self.get_logger().info("arms connected (state readable, commands refused until activated)")
        return TransitionCallbackReturn.SUCCESS

    def on_activate(self, state: State) -> TransitionCallbackReturn:
        try:
            self.arms.enable()
            self.stream.reset(self.arms.read_state().position)
        except (ArmError, ValueError) as err:
            self.get_logger().error(f"activate failed: {err}")
            return TransitionCallbackReturn.FAILURE
        self.active = True
        self.get_logger().info("arms enabled, accepting /joint_commands")
        return TransitionCallbackReturn.SUCCESS

    def on_deactivate(self, state: State) -> TransitionCallbackReturn:
        self.active = False
        self._hold()
        return TransitionCallbackReturn.SUCCESS

    def on_cleanup(self, state: State) -> TransitionCallbackReturn:
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def on_shutdown(self, state: State | None = None) -> TransitionCallbackReturn:
        """Hold, then disable and disconnect (also on Ctrl-C / SIGTERM through `main`)."""
        self.active = False
        self._hold()
        self._release()
        return TransitionCallbackReturn.SUCCESS

    def _hold(self) -> None:
        if self.arms is not None and self.arms.is_enabled:
            try:
                self.arms.hold()
            except ArmError as err:
                self.get_logger().warning(f"hold refused: {err}")

    def _release(self) -> None:
        if self.arms is not None:
            try:
                self.arms.disable()
            finally:
                self.arms.disconnect()
                self.arms = None

    # --------------------------------------------------------------------------------- streaming

    def on_command(self, msg: JointState) -> None:
        try:
            q = joint_state_position(msg, self.names)
        except MessageError as err:
            self.get_logger().warning(f"command refused: {err}", throttle_duration_sec=1.0)
            q = None
        self.stream.offer(q, to_seconds(msg.header.stamp), self.now_s())

    def on_tick(self) -> None:
        if self.arms is None:
            return
        state = self.arms.read_state()
        self.joint_pub.publish(joint_state_msg(self.names, state.position, self.now_s()))
        faults = state.faults
        if faults:
            description = "; ".join(f"{arm}: {f.kind}: {f.message}" for arm, f in faults.items())
            if description != self._reported_fault:
                self.get_logger().error(f"arm fault, commands stopped: {description}")
                self.publish_status(self.diagnostics, "error", description)
                self._reported_fault = description
            return
        self._reported_fault = None
        if not self.active:
            return
        sent = self.stream.tick(self.now_s())
        if sent is not None:
            try:
                self.arms.send(sent)
            except ArmError as err:
                self.get_logger().error(f"command refused by the arm: {err}")

    # ---------------------------------------------------------------------------------- services

    def on_enable(self, request, response):
        if self.arms is None:
            response.success, response.message = False, "not configured"
            return response
        try:
            if request.data:
                self.arms.enable()
                self.stream.reset(self.arms.read_state().position)
                self.active = True
            else:
                self.active = False
                self._hold()
                self.arms.disable()
        except ArmError as err:
            response.success, response.message = False, str(err)
            return response
        response.success, response.message = True, "enabled" if request.data else "disabled"
        return response

    def on_estop(self, request, response):
        if self.arms is None:
            response.success, response.message = False, "not configured"
            return response
        self.active = False
        self.arms.emergency_stop()
        response.success, response.message = True, "emergency stop sent to both arms"
        return response

    def on_resume(self, request, response):
        if self.arms is None:
            response.success, response.message = False, "not configured"
            return response
        try:
            self.arms.resume()
            self.stream.reset(self.arms.read_state().position)
            self.active = True
        except ArmError as err:
            response.success, response.message = False, str(err)
            return response
        response.success, response.message = True, "resumed"
        return response


main = main_for(ArmDriverNode)

if __name__ == "__main__":
    raise SystemExit(main())
