"""The LHb cell for other simulators, generated from the cell's parts.

* :func:`habmodel.exports.neuron.export_neuron` (``habmodel export neuron``): NMODL
  mechanisms printed from the equations (:mod:`habmodel.exports.nmodl`), and a
  self-contained ``cell.py`` that builds the cell with NEURON's Python API and replays
  habmodel's glutamate input (:mod:`habmodel.exports.neuron_cell`);
* :mod:`habmodel.exports.neuroml` (``habmodel export neuroml``): NeuroML 2 / LEMS.

``docs/elsewhere.md`` says how to use them and how closely each matches habmodel.
"""
