"""IDM training (`eva-train idm --config config/train/idm_sim.yaml`)."""
