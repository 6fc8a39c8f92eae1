"""The Ray executor: each attempt a detached named actor on a node that offers its instrument
(docs/ray.md). Imported only by a conductor configured with `executor: {type: ray}`."""
