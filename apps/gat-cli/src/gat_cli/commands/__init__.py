"""Command modules; each exposes a click object named ``cli`` loaded lazily by its group."""
