//! Constraint solver: snaps decoded entities into a physically valid plan.
