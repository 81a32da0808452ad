"""The shared vocabulary of every floor: transcript, events, approval, diffs and the task graph.

Imports nothing of claw above it (config aside), so tools, providers, the engine and every
front end can all speak it.
"""
