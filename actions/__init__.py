"""Custom actions of the Muni citizen assistant (run by the rasa-sdk action server)."""
