"""The twin's MuJoCo model, generated in code from the embodiment file (no model files).

`build_spec(embodiment, config)` returns an editable `mujoco.MjSpec` holding:

* two PiPER arms, each a chain of bodies whose frames ARE the modified-DH frames of
  `eva_core.embodiment.kinematics` (SDK/firmware convention): body i sits at RotX(alpha_i)·TransX(a_i)·
  RotZ(theta_offset_i)·TransZ(d_i) in body i-1 and hinges about its own z axis, so the MuJoCo joint
  angle is the SDK joint angle (qpos 0 = SDK zero pose). Joint ranges, control ranges, speeds and the
  gripper range come from the embodiment; the base sits at the mount pose.
* a two-finger gripper per arm: two slide joints of 0..opening_max_m/2 each, coupled by an equality
  constraint, driven by one position servo (finger separation = opening = normalised × opening_max_m).
* a table whose top surface is the world z = 0 plane (the mounts' frame), a floor, lights.
* the platform's cameras: `cam_high` fixed above the front of the table, looking back and down at
  both arms (so grippers face it); `cam_left_wrist` / `cam_right_wrist` on the grippers, looking along
  the fingers.
* a site at every kinematic frame (`frame_site_names`) and at the fingertips, for tests and tasks.

Every link has its own colour and at least one off-axis marker of a contrasting colour, so that every
joint angle, including the three roll joints (J4, J6 and J1 seen from above), changes the picture from
`cam_high`. The two fingers differ in colour, so a gripper rolled by 180° does not look the same.

Adding task objects: edit the spec before the twin compiles it, either with the MjSpec API
(`add_object` is a shortcut for a free box / sphere / cylinder) or from an MJCF fragment (`add_mjcf`):

    spec = build_spec(embodiment)
    add_object(spec, "cube", shape="box", size=(0.02, 0.02, 0.02), pos=(0.35, 0.1, 0.02), rgba=(1, 0, 0, 1))
    add_mjcf(spec, '<body name="bowl" pos="0.4 -0.2 0"><geom type="cylinder" size="0.06 0.02"/></body>')
    twin = SimRobot(embodiment, spec=spec)

Collision: geoms with MuJoCo's default bits (contype=1, conaffinity=1) collide with the arms, the
grippers, the table and each other. The arms touch objects and each other (a plan that drives one
arm into the other shows up as contact, as on the real platform), but not themselves nor the table
(their simple shapes overlap at the joints and the bases sit in the table top).
"""

from __future__ import annotations

from collections.abc import Sequence

import mujoco
import numpy as np

from eva_core.embodiment import EmbodimentConfig, KinematicsSpec, Mount
from eva_core.embodiment.kinematics import FRAME_NAMES
from eva_sim.config import CAMERA_NAMES, SimConfig

# Collision bits (MuJoCo collides two geoms when contype of one & conaffinity of the other != 0).
# Objects keep MuJoCo's defaults (1, 1) and so collide with everything; arms and the table do not
# collide with each other. Each arm then gets its own contype bit (`_arms_collide_with_each_other`),
# so the two arms collide with one another but no arm with itself.
ARM_COLLISION = {"contype": 2, "conaffinity": 1}
ARM_BITS = (2, 8)  # contype of the first and second arm (4 is the table's)
TABLE_COLLISION = {"contype": 4, "conaffinity": 1}
NO_COLLISION = {"contype": 0, "conaffinity": 0}

TABLE_TOP_Z = 0.0  # m; the mounts' z = 0 plane is the table surface
TABLE_X = (-0.30, 0.80)  # m; table extent along x (arms face +x)
TABLE_HALF_Y = 0.80  # m
TABLE_THICKNESS = 0.04  # m
FLOOR_Z = -0.75  # m

# cam_high: above the table in front of the arms, looking back and down at them (the platform's
# "above/front" camera). Chosen over a view from behind the bases: from behind, a gripper that points
# forward or down hides behind its own wrist, and the IDM could not read its roll or opening. The arms
# face the camera, so the left arm (+y) is on the image's right. The frame spans the tabletop from
# just behind the bases to the front edge and the arms up to the elbow in the ready pose.
CAM_HIGH_POS = (0.70, 0.0, 1.00)  # m, world
CAM_HIGH_TARGET = (0.10, 0.0, 0.15)  # m, world point at the image centre
CAM_HIGH_FOVY_DEG = 54.0  # vertical field of view (the RealSense colour stream: ~42-58°)
WRIST_CAM_FOVY_DEG = 70.0  # wide, as the wrist cameras sit close to the fingers
# m in the link-6 frame: on the gripper's -x6 side, which faces up when J6 = 0 and the gripper points
# forward/down (as the real wrist cameras sit on top of the gripper), off the tool axis.
WRIST_CAM_POS = (-0.06, 0.0, 0.045)
WRIST_CAM_TILT_DEG = 20.0  # tilted toward the tool axis so the fingertips are in view

# Colours: one per link, markers in a contrasting colour (RGBA).
GREY = (0.30, 0.30, 0.33, 1.0)
COLOURS = {
    "base": (0.22, 0.22, 0.25, 1.0),
    "link1": (0.85, 0.15, 0.15, 1.0),  # red
    "link2": (0.95, 0.55, 0.10, 1.0),  # orange
    "link3": (0.95, 0.88, 0.20, 1.0),  # yellow
    "link4": (0.20, 0.72, 0.25, 1.0),  # green
    "link5": (0.10, 0.75, 0.85, 1.0),  # cyan
    "link6": (0.20, 0.30, 0.90, 1.0),  # blue
    "finger1": (0.85, 0.20, 0.80, 1.0),  # magenta
    "finger2": (0.95, 0.95, 0.95, 1.0),  # white
}
WHITE = (0.97, 0.97, 0.97, 1.0)
BLACK = (0.05, 0.05, 0.05, 1.0)
TABLE_RGBA = (0.42, 0.40, 0.37, 1.0)  # mid-tone: white and black markers both stand out
FLOOR_RGBA = (0.25, 0.26, 0.28, 1.0)

LINK_RADIUS = 0.032  # m, visual/collision radius of the link capsules (the real links are ~6-7 cm wide)
# Joint-limit constraint: time constant 5 ms (twice the 2.5 ms step, the stiffest MuJoCo recommends),
# critically damped, so a joint driven into its limit at full speed penetrates by at most ~1 mrad.
LIMIT_SOLREF = [0.005, 1.0]
FINGER_HALF = (0.012, 0.006, 0.035)  # m, finger box half-sizes (x, y: closing direction, z: along tool)
CARRIAGE_HALF = (0.034, 0.008, 0.012)  # m, the finger's slide block at the palm, wider (x) than the palm


# ---------------------------------------------------------------------------------------------- names


def joint_names(embodiment: EmbodimentConfig, arm: str) -> tuple[str, ...]:
    """MuJoCo joint (and actuator) names of `arm`'s six joints: the embodiment's names, e.g. left_joint1."""
    return tuple(f"{arm}_{joint.name}" for joint in embodiment.arm.joints)


def gripper_actuator_name(embodiment: EmbodimentConfig, arm: str) -> str:
    return f"{arm}_{embodiment.arm.gripper.name}"


def finger_joint_names(arm: str) -> tuple[str, str]:
    return f"{arm}_finger1", f"{arm}_finger2"


def frame_site_names(arm: str) -> tuple[str, ...]:
    """Site names of `arm`'s kinematic frames, in the order of `kinematics.link_frames` (base..tool)."""
    return tuple(f"{arm}_{frame}" for frame in FRAME_NAMES)


def body_name(arm: str, link: str) -> str:
    return f"{arm}_{link}"


# --------------------------------------------------------------------------------------- the builder


def build_spec(embodiment: EmbodimentConfig, config: SimConfig | None = None) -> mujoco.MjSpec:
    """The twin's scene as an editable MjSpec (add task objects to it, then compile)."""
    config = config or SimConfig()
    spec = mujoco.MjSpec()
    spec.modelname = f"eva_{embodiment.name}"
    spec.compiler.degree = False  # angles (joint ranges) in rad, as in the embodiment file
    spec.option.timestep = embodiment.control_dt / config.substeps
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC  # better grasps than the pyramidal default
    _visual(spec, config)
    _environment(spec)
    for mount in embodiment.mounts:
        _arm(spec, embodiment, config, mount)
    _arms_collide_with_each_other(spec, [mount.name for mount in embodiment.mounts])
    return spec


def _arms_collide_with_each_other(spec: mujoco.MjSpec, arms: Sequence[str]) -> None:
    """Give each arm's geoms (named "<arm>_...") its own contype bit and make the other arms' bits
    part of its conaffinity: arm-arm contacts on, self-contacts still off."""
    if len(arms) > len(ARM_BITS):
        raise ValueError(f"the twin supports up to {len(ARM_BITS)} arms, the embodiment has {len(arms)}")
    bits = dict(zip(arms, ARM_BITS))
    for geom in spec.geoms:
        arm = geom.name.split("_", 1)[0]
        if arm in bits and geom.contype == ARM_COLLISION["contype"]:
            geom.contype = bits[arm]
            geom.conaffinity = ARM_COLLISION["conaffinity"] | sum(b for a, b in bits.items() if a != arm)


def compile_model(spec: mujoco.MjSpec) -> mujoco.MjModel:
    """Compile `spec`, turning MuJoCo's error into one that says what failed."""
    try:
        return spec.compile()
    except ValueError as err:
        raise ValueError(f"the twin's MuJoCo model does not compile: {err}") from None


def add_object(
    spec: mujoco.MjSpec,
    name: str,
    *,
    shape: str = "box",
    size: Sequence[float],
    pos: Sequence[float],
    rgba: Sequence[float] = (0.9, 0.1, 0.1, 1.0),
    mass_kg: float = 0.05,
    quat: Sequence[float] = (1.0, 0.0, 0.0, 0.0),
    free: bool = True,
    friction: Sequence[float] = (1.0, 0.01, 0.001),
) -> mujoco.MjsBody:
    """Add a rigid object (one geom) to the world; with `free` it gets a free joint named `name`.

    `shape` is "box" (size = half-extents x, y, z), "sphere" (radius) or "cylinder" (radius, half-height);
    positions in m in the table frame (z = 0 is the table top), `quat` is (w, x, y, z). A site named
    `name` marks the object's origin for task code (e.g. success checks).
    """
    shapes = {"box": mujoco.mjtGeom.mjGEOM_BOX, "sphere": mujoco.mjtGeom.mjGEOM_SPHERE, "cylinder": mujoco.mjtGeom.mjGEOM_CYLINDER}
    if shape not in shapes:
        raise ValueError(f"shape must be one of {sorted(shapes)}, got {shape!r}")
    if not mass_kg > 0:
        raise ValueError(f"mass_kg must be > 0, got {mass_kg}")
    body = spec.worldbody.add_body(name=name, pos=list(pos), quat=list(quat))
    if free:
        body.add_freejoint(name=name)
    padded = list(size) + [0.0] * (3 - len(size))
    body.add_geom(name=name, type=shapes[shape], size=padded, rgba=list(rgba), mass=mass_kg, friction=list(friction), condim=4)
    body.add_site(name=name, size=[0.005, 0, 0], rgba=[0, 0, 0, 0])
    return body


def add_mjcf(spec: mujoco.MjSpec, worldbody_xml: str) -> list[mujoco.MjsBody]:
    """Add the bodies of an MJCF `<worldbody>` fragment (one or more `<body>` elements) to the world.

    Names are kept as written. Assets (meshes, textures) are not supported here: build those with the
    MjSpec API. Returns the added bodies.
    """
    try:
        child = mujoco.MjSpec.from_string(f"<mujoco><worldbody>{worldbody_xml}</worldbody></mujoco>")
    except ValueError as err:
        raise ValueError(f"bad MJCF fragment: {err}") from None
    frame = spec.worldbody.add_frame()
    added = []
    body = child.worldbody.first_body()
    while body is not None:
        # MuJoCo warns on every compile when a spec is attached with an empty prefix; attach with a
        # temporary one and strip it again, so the names stay as written.
        attached = frame.attach_body(body, _FRAGMENT_PREFIX, "")
        for element in [attached] + [e for kind in _NAMED_KINDS for e in attached.find_all(kind)]:
            if element.name.startswith(_FRAGMENT_PREFIX):
                element.name = element.name[len(_FRAGMENT_PREFIX):]
        added.append(attached)
        body = child.worldbody.next_body(body)
    return added


_FRAGMENT_PREFIX = "_fragment_"
_NAMED_KINDS = (
    mujoco.mjtObj.mjOBJ_BODY, mujoco.mjtObj.mjOBJ_JOINT, mujoco.mjtObj.mjOBJ_GEOM, mujoco.mjtObj.mjOBJ_SITE,
    mujoco.mjtObj.mjOBJ_CAMERA, mujoco.mjtObj.mjOBJ_LIGHT, mujoco.mjtObj.mjOBJ_FRAME,
)


# ------------------------------------------------------------------------------------------- scene


def _visual(spec: mujoco.MjSpec, config: SimConfig) -> None:
    spec.visual.quality.shadowsize = 4096 if config.shadows else 0
    spec.visual.quality.offsamples = config.multisamples
    spec.visual.global_.offwidth = max([640] + [c.width for c in config.cameras])
    spec.visual.global_.offheight = max([480] + [c.height for c in config.cameras])
    spec.visual.headlight.ambient = [0.35, 0.35, 0.35]
    spec.visual.headlight.diffuse = [0.45, 0.45, 0.45]
    spec.visual.headlight.specular = [0.0, 0.0, 0.0]
    spec.stat.center = [0.25, 0.0, 0.2]
    spec.stat.extent = 1.5


def _environment(spec: mujoco.MjSpec) -> None:
    # A plain gradient sky, so that views above the table are not black like the markers.
    spec.add_texture(
        name="sky", type=mujoco.mjtTexture.mjTEXTURE_SKYBOX, builtin=mujoco.mjtBuiltin.mjBUILTIN_GRADIENT,
        rgb1=[0.62, 0.68, 0.75], rgb2=[0.35, 0.38, 0.42], width=32, height=192,
    )
    world = spec.worldbody
    world.add_light(
        name="sun",
        type=mujoco.mjtLightType.mjLIGHT_DIRECTIONAL,
        pos=[0.3, 0.5, 2.0],
        dir=[-0.2, -0.3, -1.0],
        diffuse=[0.55, 0.55, 0.55],
        ambient=[0.1, 0.1, 0.1],
        specular=[0.1, 0.1, 0.1],
        castshadow=True,  # only drawn when the renderer's shadow flag is on (off by default)
    )
    world.add_geom(name="floor", type=mujoco.mjtGeom.mjGEOM_PLANE, pos=[0, 0, FLOOR_Z], size=[3, 3, 0.1], rgba=list(FLOOR_RGBA), **TABLE_COLLISION)
    table = world.add_body(name="table")
    x0, x1 = TABLE_X
    table.add_geom(
        name="table_top",
        type=mujoco.mjtGeom.mjGEOM_BOX,
        pos=[(x0 + x1) / 2, 0, TABLE_TOP_Z - TABLE_THICKNESS / 2],
        size=[(x1 - x0) / 2, TABLE_HALF_Y, TABLE_THICKNESS / 2],
        rgba=list(TABLE_RGBA),
        **TABLE_COLLISION,
    )
    leg_half = (TABLE_TOP_Z - TABLE_THICKNESS - FLOOR_Z) / 2
    for i, (x, y) in enumerate([(x0 + 0.05, -TABLE_HALF_Y + 0.05), (x0 + 0.05, TABLE_HALF_Y - 0.05), (x1 - 0.05, -TABLE_HALF_Y + 0.05), (x1 - 0.05, TABLE_HALF_Y - 0.05)]):
        table.add_geom(name=f"table_leg{i}", type=mujoco.mjtGeom.mjGEOM_BOX, pos=[x, y, FLOOR_Z + leg_half], size=[0.025, 0.025, leg_half], rgba=list(GREY), **NO_COLLISION)
    quat = _camera_quat(*_look_at_axes(np.array(CAM_HIGH_POS), np.array(CAM_HIGH_TARGET)))
    world.add_camera(name="cam_high", pos=list(CAM_HIGH_POS), quat=list(quat), fovy=CAM_HIGH_FOVY_DEG)


def _look_at_axes(eye: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Camera x (image right) and y (image up) axes for a camera at `eye` looking at `target`, upright."""
    forward = (target - eye) / np.linalg.norm(target - eye)
    x = np.cross(forward, [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    return x, np.cross(x, forward)


def _camera_quat(x_axis: Sequence[float], y_axis: Sequence[float]) -> np.ndarray:
    """Quaternion of a camera frame with these x and y axes (MuJoCo cameras look along their -z)."""
    x, y = np.asarray(x_axis, dtype=np.float64), np.asarray(y_axis, dtype=np.float64)
    return _quat(np.stack([x, y, np.cross(x, y)], axis=1))


# --------------------------------------------------------------------------------------------- arms


def dh_body_pose(kin: KinematicsSpec, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Position and quaternion (w, x, y, z) of DH frame i+1 in frame i at joint angle 0 (i = 0..5).

    Modified DH: T = RotX(alpha)·TransX(a)·RotZ(q + offset)·TransZ(d) = [RotX(alpha)·TransX(a)·
    RotZ(offset)·TransZ(d)]·RotZ(q), so the body carries the bracket and its hinge turns about its own
    z axis through its origin; position RotX(alpha)·(a, 0, d), rotation RotX(alpha)·RotZ(offset).
    """
    a, alpha, d, offset = kin.a_m[i], kin.alpha_rad[i], kin.d_m[i], kin.theta_offset_rad[i]
    ca, sa, co, so = np.cos(alpha), np.sin(alpha), np.cos(offset), np.sin(offset)
    rot_x = np.array([[1, 0, 0], [0, ca, -sa], [0, sa, ca]])
    rot_z = np.array([[co, -so, 0], [so, co, 0], [0, 0, 1]])
    pos = rot_x @ np.array([a, 0.0, d])
    return pos, _quat(rot_x @ rot_z)


def _quat(rotation: np.ndarray) -> np.ndarray:
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, np.ascontiguousarray(rotation, dtype=np.float64).reshape(9))
    return quat


def _arm(spec: mujoco.MjSpec, embodiment: EmbodimentConfig, config: SimConfig, mount: Mount) -> None:
    arm, kin = mount.name, embodiment.arm.kinematics
    base_tf = mount.transform()
    base = spec.worldbody.add_body(name=body_name(arm, "base"), pos=list(base_tf[:3, 3]), quat=list(_quat(base_tf[:3, :3])))
    _site(base, frame_site_names(arm)[0])
    _base_geometry(base, arm)
    parent = base
    names = joint_names(embodiment, arm)
    links = []
    for i, joint in enumerate(embodiment.arm.joints):
        pos, quat = dh_body_pose(kin, i)
        link = parent.add_body(name=body_name(arm, f"link{i + 1}"), pos=list(pos), quat=list(quat), gravcomp=1.0)
        link.add_joint(
            name=names[i],
            type=mujoco.mjtJoint.mjJNT_HINGE,
            axis=[0, 0, 1],
            range=[joint.position_min, joint.position_max],
            limited=mujoco.mjtLimited.mjLIMITED_TRUE,
            armature=config.joint_armature[i],
            damping=0.1,  # N·m·s/rad, a little friction in the gearbox
            solref_limit=LIMIT_SOLREF,
        )
        _site(link, frame_site_names(arm)[i + 1])
        actuator = spec.add_actuator(name=names[i], target=names[i], trntype=mujoco.mjtTrn.mjTRN_JOINT)
        actuator.set_to_position(kp=config.joint_kp[i], dampratio=config.joint_damping_ratio)
        actuator.ctrlrange = [joint.position_min, joint.position_max]
        actuator.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
        links.append(link)
        parent = link
    _link_geometry(links, arm, kin)
    _gripper(spec, embodiment, config, links[-1], arm)


def _site(body: mujoco.MjsBody, name: str, pos: Sequence[float] = (0, 0, 0)) -> None:
    body.add_site(name=name, pos=list(pos), size=[0.004, 0, 0], rgba=[0, 0, 0, 0])


def _geom(body, name, rgba, *, shape, size, pos=(0, 0, 0), fromto=None, quat=None):
    kwargs = {"name": name, "type": shape, "size": list(size) + [0.0] * (3 - len(size)), "rgba": list(rgba), **ARM_COLLISION}
    if fromto is not None:
        kwargs["fromto"] = list(fromto)
    else:
        kwargs["pos"] = list(pos)
        if quat is not None:
            kwargs["quat"] = list(quat)
    return body.add_geom(**kwargs)


def _marker(body, name, rgba, pos, half):
    """A massless, non-colliding box: only there to be seen."""
    return body.add_geom(name=name, type=mujoco.mjtGeom.mjGEOM_BOX, pos=list(pos), size=list(half), rgba=list(rgba), density=0.0, group=1, **NO_COLLISION)


CAPSULE, CYLINDER, BOX = mujoco.mjtGeom.mjGEOM_CAPSULE, mujoco.mjtGeom.mjGEOM_CYLINDER, mujoco.mjtGeom.mjGEOM_BOX


def _base_geometry(base: mujoco.MjsBody, arm: str) -> None:
    _geom(base, f"{arm}_base", COLOURS["base"], shape=CYLINDER, size=(0.055, 0.03), pos=(0, 0, 0.03))


def _link_geometry(links: list, arm: str, kin: KinematicsSpec) -> None:
    """Simple shapes in each DH frame, spanning the real link from its joint to the next one."""
    r = LINK_RADIUS
    l1, l2, l3, l4, l5, l6 = links
    shoulder_h = kin.d_m[0]
    upper = kin.a_m[2]  # J2 → J3 along link 2's x axis
    elbow_x = kin.a_m[3]  # small offset of the forearm along link 3's x axis
    forearm = kin.d_m[3]  # J3 → wrist along link 3's -y axis (link 4's z axis)
    wrist = kin.d_m[5]  # wrist centre → flange along link 5's -y axis (link 6's z axis)

    # Link 1: turret from the pedestal up to the shoulder, and the J2 housing across it (along y1).
    _geom(l1, f"{arm}_link1_turret", COLOURS["link1"], shape=CYLINDER, size=(0.045, (shoulder_h - 0.06) / 2), pos=(0, 0, -(shoulder_h - 0.06) / 2))
    _geom(l1, f"{arm}_link1_shoulder", COLOURS["link1"], shape=CYLINDER, size=(0.042, 0.05), quat=(0.7071068, 0.7071068, 0, 0))
    _marker(l1, f"{arm}_link1_mark", WHITE, pos=(0.05, 0.0, -0.03), half=(0.012, 0.02, 0.02))
    _marker(l1, f"{arm}_link1_mark_top", WHITE, pos=(0.0, 0.051, 0.0), half=(0.03, 0.003, 0.012))

    # Link 2: upper arm along x2 to the elbow, with the J3 housing at its end; a stripe on its +y2 side.
    _geom(l2, f"{arm}_link2", COLOURS["link2"], shape=CAPSULE, size=(r,), fromto=(0, 0, 0, upper, 0, 0))
    _geom(l2, f"{arm}_link2_elbow", COLOURS["link2"], shape=CYLINDER, size=(0.038, 0.045), pos=(upper, 0, 0))
    _marker(l2, f"{arm}_link2_mark", BLACK, pos=(upper * 0.5, r - 0.004, 0.0), half=(upper * 0.3, 0.008, 0.02))
    _marker(l2, f"{arm}_link2_mark_side", BLACK, pos=(upper * 0.35, 0.0, r - 0.004), half=(0.02, 0.02, 0.008))

    # Link 3: the proximal forearm from the elbow (offset a4 along x3) along -y3; a stripe on +z3.
    part = 0.4 * forearm
    _geom(l3, f"{arm}_link3", COLOURS["link3"], shape=CAPSULE, size=(r,), fromto=(elbow_x, 0, 0, elbow_x, -part, 0))
    _geom(l3, f"{arm}_link3_knuckle", COLOURS["link3"], shape=CAPSULE, size=(r,), fromto=(0, 0, 0, elbow_x, 0, 0))
    _marker(l3, f"{arm}_link3_mark", BLACK, pos=(elbow_x, -part * 0.6, r - 0.004), half=(0.015, part * 0.3, 0.008))
    _marker(l3, f"{arm}_link3_mark_x", BLACK, pos=(elbow_x + r - 0.004, -part * 0.6, 0.0), half=(0.008, 0.02, 0.015))

    # Link 4: the distal forearm that rolls with J4 (its z axis is the forearm axis) and the J5
    # housing across its end (along y4). A fin on +x4 and a stripe on +y4 make the roll visible.
    distal = forearm - part
    _geom(l4, f"{arm}_link4", COLOURS["link4"], shape=CAPSULE, size=(r,), fromto=(0, 0, -distal, 0, 0, 0))
    _geom(l4, f"{arm}_link4_wrist", COLOURS["link4"], shape=CYLINDER, size=(0.032, 0.04), quat=(0.7071068, 0.7071068, 0, 0))
    _marker(l4, f"{arm}_link4_fin", WHITE, pos=(r + 0.014, 0, -distal * 0.55), half=(0.022, 0.006, distal * 0.32))
    _marker(l4, f"{arm}_link4_stripe", BLACK, pos=(0, r - 0.002, -distal * 0.55), half=(0.016, 0.006, distal * 0.3))

    # Link 5: wrist block from the J5 axis toward the flange (along -y5); a mark on +x5.
    _geom(l5, f"{arm}_link5", COLOURS["link5"], shape=CAPSULE, size=(0.028,), fromto=(0, 0, 0, 0, -(wrist - 0.025), 0))
    _marker(l5, f"{arm}_link5_mark", BLACK, pos=(0.026, -(wrist - 0.025) * 0.55, 0), half=(0.006, 0.02, 0.02))

    # Link 6: flange and palm (wide along y6, the closing direction); the wrist camera housing on +x6.
    _geom(l6, f"{arm}_link6_flange", COLOURS["link6"], shape=CYLINDER, size=(0.03, 0.015), pos=(0, 0, -0.005))
    palm_z = kin.tool_length_m - 2 * FINGER_HALF[2]  # where the fingers start
    _geom(l6, f"{arm}_palm", COLOURS["link6"], shape=BOX, size=(0.022, 0.05, palm_z / 2), pos=(0, 0, palm_z / 2))
    _marker(l6, f"{arm}_camera_housing", BLACK, pos=(WRIST_CAM_POS[0] + 0.01, 0, WRIST_CAM_POS[2] - 0.015), half=(0.012, 0.03, 0.013))
    _marker(l6, f"{arm}_palm_mark", WHITE, pos=(0.022, 0.025, palm_z / 2), half=(0.003, 0.02, palm_z / 2 - 0.005))


def _gripper(spec: mujoco.MjSpec, embodiment: EmbodimentConfig, config: SimConfig, link6: mujoco.MjsBody, arm: str) -> None:
    kin, gripper = embodiment.arm.kinematics, embodiment.arm.gripper
    travel = gripper.opening_max_m / 2
    finger_z = kin.tool_length_m - FINGER_HALF[2]  # finger centre: the tips end at the tool frame
    palm_z = kin.tool_length_m - 2 * FINGER_HALF[2]
    names = finger_joint_names(arm)
    for k, (name, side) in enumerate(zip(names, (1.0, -1.0))):
        finger = link6.add_body(name=body_name(arm, f"finger{k + 1}"), gravcomp=1.0)
        finger.add_joint(
            name=name,
            type=mujoco.mjtJoint.mjJNT_SLIDE,
            axis=[0, side, 0],
            range=[0.0, travel],
            limited=mujoco.mjtLimited.mjLIMITED_TRUE,
            armature=0.05,
            damping=1.0,
            solref_limit=LIMIT_SOLREF,
        )
        # The inner face sits at y = ±(joint position): the finger separation is the opening.
        geom = _geom(finger, f"{arm}_finger{k + 1}", COLOURS[f"finger{k + 1}"], shape=BOX, size=FINGER_HALF, pos=(0, side * FINGER_HALF[1], finger_z))
        geom.friction = [1.5, 0.01, 0.001]
        geom.condim = 4
        # The finger's carriage sticks out on both sides of the palm: from above (gripper pointing
        # down, the palm hiding the fingers) the opening still shows as the carriages' spacing.
        _geom(finger, f"{arm}_finger{k + 1}_carriage", COLOURS[f"finger{k + 1}"], shape=BOX, size=CARRIAGE_HALF, pos=(0, side * CARRIAGE_HALF[1], palm_z - CARRIAGE_HALF[2]))
    _site(link6, frame_site_names(arm)[-1], pos=(0, 0, kin.tool_length_m))
    spec.add_equality(
        name=f"{arm}_finger_coupling",
        type=mujoco.mjtEq.mjEQ_JOINT,
        objtype=mujoco.mjtObj.mjOBJ_JOINT,
        name1=names[1],
        name2=names[0],
        data=[0, 1, 0, 0, 0] + [0] * 7,  # polycoef: finger2 = finger1
        solref=LIMIT_SOLREF,  # as stiff as the step allows: the real fingers share one rack
    )
    actuator = spec.add_actuator(name=gripper_actuator_name(embodiment, arm), target=names[0], trntype=mujoco.mjtTrn.mjTRN_JOINT)
    actuator.set_to_position(kp=config.gripper_kp, dampratio=2.0)  # 2: MuJoCo's estimate ignores the coupled finger
    actuator.ctrlrange = [0.0, travel]
    actuator.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
    actuator.forcerange = [-config.gripper_force_max, config.gripper_force_max]
    actuator.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
    # Looking along +z6 (toward the fingertips), tilted toward the tool axis; image up = -x6 (away
    # from the fingers), image right = -y6.
    tilt = np.deg2rad(WRIST_CAM_TILT_DEG)
    quat = _camera_quat((0.0, -1.0, 0.0), (-np.cos(tilt), 0.0, np.sin(tilt)))
    link6.add_camera(name=f"cam_{arm}_wrist", pos=list(WRIST_CAM_POS), quat=list(quat), fovy=WRIST_CAM_FOVY_DEG)
    if f"cam_{arm}_wrist" not in CAMERA_NAMES:
        raise ValueError(f"arm {arm!r} has no wrist camera name on the platform")
