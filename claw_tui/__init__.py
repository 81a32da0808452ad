"""claw: a full-screen terminal coding agent."""
