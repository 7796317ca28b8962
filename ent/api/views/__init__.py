"""The API's endpoints, one module per area; `tokens` is the page where a person manages personal tokens."""
