from setuptools import find_packages, setup

package_name = "eva_core"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test", "tests"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
    ],
    install_requires=["numpy", "pyyaml", "pyarrow", "av"],
    zip_safe=True,
    maintainer="EVA developers",
    maintainer_email="eva@example.org",
    description="ROS-free core of the EVA stack: embodiment, reward, safety, IDM, planners, devices, data, trials.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": ["eva = eva_core.cli.main:main"],
        "eva.cli": [
            "config = eva_core.cli.config_cmd:register",
            "reward = eva_core.cli.reward_cmd:register",
            "safety = eva_core.cli.safety_cmd:register",
            "devices = eva_core.cli.devices_cmd:register",
            "idm = eva_core.cli.idm_cmd:register",
            "plan = eva_core.cli.plan_cmd:register",
            "wm = eva_core.cli.wm_cmd:register",
        ],
        "eva.planners": ["wan = eva_core.planning.wan:register"],
    },
)
