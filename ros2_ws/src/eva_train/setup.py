from setuptools import find_packages, setup

package_name = "eva_train"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(exclude=["test", "tests"]),
    data_files=[
        ("share/ament_index/resource_index/packages", ["resource/" + package_name]),
        ("share/" + package_name, ["package.xml"]),
    ],
    install_requires=["eva_core"],
    zip_safe=True,
    maintainer="EVA developers",
    maintainer_email="eva@example.org",
    description="Offline training for EVA: IDM, world-model autoencoder, SFT and GRPO alignment.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": ["eva-train = eva_train.cli:main"],
        # Training jobs register here as `NAME = module:register`.
        "eva_train.jobs": [
            "idm = eva_train.idm.job:register",
            "vae = eva_train.vae.job:register",
            "vae-roundtrip = eva_train.vae.job:register_roundtrip",
            "sft = eva_train.wm.job:register",
            "grpo = eva_train.grpo.job:register",
        ],
    },
)
