"""Training and capability readiness: courses offered by donors, training requests by the recipient, seat plans
that train crews before their equipment arrives, enrolments, and readiness per requirement and package."""
