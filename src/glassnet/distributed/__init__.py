"""Data-parallel training over MPI: ``fit(..., distributed=Replicas())`` in every process of an
``mpiexec`` job trains one model on the processes' shares of every batch (docs/distributed.md).

mpi4py is imported only when a ``Replicas`` is made: ``pip install 'glassnet[mpi]'``.
"""

from glassnet.distributed.replicas import REDUCTIONS, Replicas

__all__ = ["REDUCTIONS", "Replicas"]
