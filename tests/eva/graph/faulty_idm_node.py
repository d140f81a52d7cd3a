"""Test support: the IDM node with fault injection, run in place of `idm_node` by the graph tests.

Dynamic parameter `inject_fault`: "nan" puts NaN into the decoded actions, "jump" adds a 1 rad jump
halfway, "" decodes as usual; the safety filter and the executor must catch both faults. The faulty
actions are scored as the IDM's own (the decoder is wrapped, the node is otherwise `IdmNode`).

    python -m faulty_idm_node --ros-args -r __node:=idm ...   (with this folder on PYTHONPATH)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from eva.node_support import main_for
from eva.nodes.idm_node import IdmNode

def inject(actions: np.ndarray, fault: str) -> np.ndarray:
    actions = np.array(actions, dtype=np.float64)
    if fault == "nan":
        actions[len(actions) // 3 :, 0] = np.nan
    elif fault == "jump":
        actions[len(actions) // 2 :, 1] += 1.0
    return actions


class FaultyDecoder:
    """Decodes with `decoder`, then injects the fault `fault()` names at that moment."""

    def __init__(self, decoder, fault: Callable[[], str]):
        self.decoder = decoder
        self.fault = fault

    def decode(self, frames: np.ndarray) -> np.ndarray:
        actions = self.decoder.decode(frames)
        fault = self.fault()
        return inject(actions, fault) if fault else actions


class FaultyIdmNode(IdmNode):
    def __init__(self, **node_options) -> None:
        super().__init__(**node_options)
        self.declare("inject_fault", "", "'' (none), 'nan' or 'jump' in the decoded actions", read_only=False)
        self.decoder = FaultyDecoder(self.decoder, lambda: self.get_parameter("inject_fault").value)


main = main_for(FaultyIdmNode)

if __name__ == "__main__":
    raise SystemExit(main())
