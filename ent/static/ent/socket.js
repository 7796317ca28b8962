// Live updates over the WebSocket (ent/notify owns this file).
