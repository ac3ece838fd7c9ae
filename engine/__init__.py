"""The procedure engine: sheets, validation, BPMN compilation and execution.

Nothing here imports Django or touches a database; the web and the API call this layer.
"""
