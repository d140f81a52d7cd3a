from setuptools import find_packages, setup

package_name = "eva_sim"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test", "tests"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
    ],
    install_requires=["eva_core", "mujoco", "numpy"],
    zip_safe=True,
    maintainer="EVA developers",
    maintainer_email="eva@example.org",
    description="MuJoCo twin of the bimanual PiPER platform (arms, grippers, table, cameras), CPU rendering.",
    license="Apache-2.0",
    entry_points={
        "eva.cli": ["sim = eva_sim.cli:register"],
        "eva.arms": ["sim = eva_sim.arm_sim:register"],
        "eva.cameras": ["sim = eva_sim.camera_sim:register"],
        "eva.planners": ["sim_oracle = eva_sim.oracle:register"],
    },
)
