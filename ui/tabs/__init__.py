"""One module per tab of the workspace: each builds its components and answers its events."""
