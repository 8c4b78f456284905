"""The services every interface calls: each takes one unit of work and does one thing."""
