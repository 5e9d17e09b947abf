"""reclab's Python side of the TypeScript <-> PyTorch bridge (see src/bridge/session.ts).

Modules here are imported by dotted name from TypeScript; nothing is ever evaluated from a string.
"""
