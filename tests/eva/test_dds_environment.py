from eva.dds_environment import dds_environment


def test_localhost_discovery_is_forced_and_the_rest_of_the_environment_kept():
    env = dds_environment({"ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET", "LD_LIBRARY_PATH": "/x"}, domain_id=42)
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "LOCALHOST"
    assert env["ROS_DOMAIN_ID"] == "42"
    assert env["LD_LIBRARY_PATH"] == "/x"


def test_each_run_gets_a_domain_id_unless_one_is_given():
    env = dds_environment({})
    assert 1 <= int(env["ROS_DOMAIN_ID"]) <= 101
    assert dds_environment({"ROS_DOMAIN_ID": "7"})["ROS_DOMAIN_ID"] == "7"


def test_lab_network_leaves_an_explicit_choice_alone():
    assert dds_environment({}, lab_network=True)["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SUBNET"
    env = dds_environment({"ROS_AUTOMATIC_DISCOVERY_RANGE": "SYSTEM_DEFAULT"}, lab_network=True)
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SYSTEM_DEFAULT"
