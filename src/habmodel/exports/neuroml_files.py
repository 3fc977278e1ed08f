"""The three files of a NeuroML export, written from a :class:`~.neuroml_cell.NmlCell`.

* ``<stem>.cell.nml``: NeuroML2 (schema v2.3.1): the ion channels (``ionChannelHH``
  with standard gates where the model has standard forms), the Ca2+ pool
  (``fixedFactorConcentrationModel``), the single-compartment ``cell``, and the
  generated ComponentTypes of the gates that have no standard form;
* ``<stem>.synapses.xml``: LEMS: the ComponentTypes of the glutamate synapses (NMDA:
  Brunel-Wang kinetics with the Jahr-Stevens block; AMPA) and their components (a
  NeuroML document cannot hold a component of a new type);
* ``LEMS_<stem>.xml``: LEMS simulation: one cell, habmodel's glutamate events of one
  seed replayed as ``timedSynapticInput`` spikes, the injected currents as
  ``pulseGenerator`` inputs, the spikes (and optionally v) written to files.

Element order follows the schema (it is an ``xs:sequence``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .neuroml_expr import UNIT_CONSTANTS
from .neuroml_expr import nml_quantity as q

__all__ = ["NEUROML_NS", "cell_document", "synapse_document", "simulation_document"]

NEUROML_NS = "http://www.neuroml.org/schema/neuroml2"
_SCHEMA = ("https://raw.github.com/NeuroML/NeuroML2/development/Schemas/NeuroML2/"
           "NeuroML_v2.3.1.xsd")
_GATE_ORDER = ("gateHHrates", "gateHHratesTau", "gateHHtauInf", "gateHHratesInf",
               "gateHHratesTauInf", "gateHHInstantaneous")


def _sub(parent, tag, attrs=None, text=None):
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in (attrs or {}).items()})
    if text is not None:
        element.text = text
    return element


def _text(root) -> str:
    ET.indent(root, space="    ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") \
        + "\n"


def _constants(parent, *texts) -> None:
    """The unit constants (``VOLT``, ...) that ``texts`` use."""
    for dimension, (name, value) in UNIT_CONSTANTS.items():
        if any(re.search(rf"\b{name}\b", t) for t in texts):
            _sub(parent, "Constant", {"name": name, "dimension": dimension, "value": value})


def cell_document(desc, doc_id: str, cell_id: str, notes: str) -> str:
    """The NeuroML2 document of the cell (channels, pool, cell, generated types)."""
    root = ET.Element("neuroml", {"xmlns": NEUROML_NS,
                                  "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
                                  "xsi:schemaLocation": f"{NEUROML_NS} {_SCHEMA}", "id": doc_id})
    _sub(root, "notes", text=notes)
    for channel in desc.channels:
        if not channel.gates:
            attrs = {"id": channel.id, "type": "ionChannelPassive", "conductance": "10pS"}
            if channel.ion != "non_specific":
                attrs["species"] = channel.ion
            node = _sub(root, "ionChannel", attrs)
            _sub(node, "notes", text=f"habmodel's {channel.current} (no gates).")
    for channel in desc.channels:
        if not channel.gates:
            continue
        attrs = {"id": channel.id, "conductance": "10pS"}
        if channel.ion != "non_specific":
            attrs["species"] = channel.ion
        node = _sub(root, "ionChannelHH", attrs)
        _sub(node, "notes", text=f"habmodel's {channel.current}; gates from its equations.")
        # the schema lets a channel hold gates of one element only: mixed kinds are written
        # as <gate type="..."> (NeuroML's generic gate element)
        mixed = len({gate.element for gate in channel.gates}) > 1
        for gate in sorted(channel.gates, key=lambda g: _GATE_ORDER.index(g.element)):
            attrs = {"id": gate.id, "instances": gate.instances}
            g = _sub(node, "gate", {**attrs, "type": gate.element}) if mixed else \
                _sub(node, gate.element, attrs)
            if gate.q10:
                _sub(g, "q10Settings", gate.q10)
            for tag, attrs in gate.children:
                _sub(g, tag, attrs)
    pool = desc.pool
    if pool is not None:
        _sub(root, "fixedFactorConcentrationModel", {
            "id": "lhb_ca_pool", "ion": "ca", "restingConc": q(pool.resting_SI, "mM"),
            "decayConstant": q(pool.decay_s * 1e3, "ms"),
            "rho": q(pool.rho_SI, "mol_per_m_per_A_per_s")})
    cell = _sub(root, "cell", {"id": cell_id})
    _sub(cell, "notes", text="One isopotential compartment: a sphere of habmodel's membrane "
         "area.")
    morphology = _sub(cell, "morphology", {"id": f"{cell_id}_morphology"})
    segment = _sub(morphology, "segment", {"id": "0", "name": "soma"})
    diameter = q((desc.area_SI / 3.141592653589793) ** 0.5 * 1e6)
    for end in ("proximal", "distal"):
        _sub(segment, end, {"x": "0", "y": "0", "z": "0", "diameter": diameter})
    group = _sub(morphology, "segmentGroup", {"id": "soma_group"})
    _sub(group, "member", {"segment": "0"})
    biophysics = _sub(cell, "biophysicalProperties", {"id": f"{cell_id}_biophysics"})
    membrane = _sub(biophysics, "membraneProperties")
    for channel in desc.channels:
        _sub(membrane, "channelDensity", {
            "id": channel.current, "ionChannel": channel.id,
            "condDensity": q(channel.density_SI * 0.1, "mS_per_cm2"),
            "erev": q(channel.erev_V * 1e3, "mV"), "ion": channel.ion})
    _sub(membrane, "spikeThresh", {"value": q(desc.threshold_V * 1e3, "mV")})
    _sub(membrane, "specificCapacitance", {"value": q(desc.capacitance_SI * 100,
                                                        "uF_per_cm2")})
    _sub(membrane, "initMembPotential", {"value": q(desc.v0_V * 1e3, "mV")})
    inside = _sub(biophysics, "intracellularProperties")
    if pool is not None:
        _sub(inside, "species", {"id": "ca", "ion": "ca", "concentrationModel": "lhb_ca_pool",
                                 "initialConcentration": q(pool.initial_SI, "mM"),
                                 "initialExtConcentration": "0mM"})
    for custom in desc.customs:
        node = _sub(root, "ComponentType", {"name": custom.name, "extends": custom.extends,
                                            "description": custom.description})
        _constants(node, custom.value)
        dynamics = _sub(node, "Dynamics")
        _sub(dynamics, "DerivedVariable", {"name": custom.exposure, "dimension": custom.dimension,
                                           "exposure": custom.exposure, "value": custom.value})
    return _text(root)


def synapse_document(desc) -> str:
    """The LEMS file of the glutamate synapses: their ComponentTypes and components."""
    root = ET.Element("Lems")
    for syn in desc.synapses:
        node = _sub(root, "ComponentType", {"name": syn.type_name,
                                            "extends": "baseConductanceBasedSynapse",
                                            "description": f"habmodel's {syn.description}: "
                                            "kinetics and events from its equations"})
        for name, dimension, _ in syn.parameters:
            _sub(node, "Parameter", {"name": name, "dimension": dimension})
        texts = [syn.open_fraction, *(r for _, r in syn.states.values()), *syn.events.values()]
        _constants(node, *texts)
        if syn.blocks:
            _sub(node, "Children", {"name": "blocks", "type": "baseBlockMechanism"})
        dynamics = _sub(node, "Dynamics")
        for state in syn.states:
            _sub(dynamics, "StateVariable", {"name": state, "dimension": "none"})
        block = ""
        if syn.blocks:
            _sub(dynamics, "DerivedVariable", {"name": "blockFactor", "dimension": "none",
                                               "select": "blocks[*]/blockFactor",
                                               "reduce": "multiply"})
            block = " * blockFactor"
        _sub(dynamics, "DerivedVariable", {"name": "g", "dimension": "conductance",
                                           "exposure": "g",
                                           "value": f"gbase * ({syn.open_fraction}){block}"})
        _sub(dynamics, "DerivedVariable", {"name": "i", "dimension": "current", "exposure": "i",
                                           "value": "g * (erev - v)"})
        for state, (_, rate) in syn.states.items():
            _sub(dynamics, "TimeDerivative", {"variable": state, "value": rate})
        start = _sub(dynamics, "OnStart")
        for state, (initial, _) in syn.states.items():
            _sub(start, "StateAssignment", {"variable": state, "value": repr(float(initial))})
        event = _sub(dynamics, "OnEvent", {"port": "in"})
        for state, value in syn.events.items():
            _sub(event, "StateAssignment", {"variable": state, "value": value})
    for syn in desc.synapses:
        attrs = {"id": syn.id, "gbase": q(syn.gbase_S * 1e9, "nS"),
                 "erev": q(syn.erev_V * 1e3, "mV")}
        attrs.update({name: value for name, _, value in syn.parameters})
        node = _sub(root, syn.type_name, attrs)
        for i, (kind, block) in enumerate(syn.blocks):
            _sub(node, kind, {"id": f"{syn.id}_block{i}", **block})
    return _text(root)


def simulation_document(desc, *, sim_id: str, includes, cell_id: str, events_ms: list,
                        duration_ms: float, step_ms: float, spikes_file: str,
                        v_file: str | None, injection_delay_ms: float,
                        cvode_tolerance: float) -> str:
    """The LEMS simulation: the network of one cell, its inputs, the outputs."""
    root = ET.Element("Lems")
    _sub(root, "Target", {"component": sim_id})
    for core in ("NeuroML2CoreTypes.xml", "Simulation.xml"):
        _sub(root, "Include", {"file": core})
    for name in includes:
        _sub(root, "Include", {"file": name})
    inputs = []
    active = [s for s in desc.synapses if s.gbase_S != 0]
    for syn in active:
        node = _sub(root, "timedSynapticInput", {"id": f"glutamate_{syn.id}", "synapse": syn.id,
                                                 "spikeTarget": f"./{syn.id}"})
        for i, time in enumerate(events_ms):
            _sub(node, "spike", {"id": str(i), "time": q(time, "ms")})
        inputs.append(f"glutamate_{syn.id}")
    inj = desc.injection
    if inj["I_hold"]:
        _sub(root, "pulseGenerator", {"id": "I_hold", "delay": "0ms",
                                      "duration": q(duration_ms + step_ms, "ms"),
                                      "amplitude": q(inj["I_hold"] * 1e12, "pA")})
        inputs.append("I_hold")
    if inj["I_step"] and inj["step_stop"] > inj["step_start"]:
        _sub(root, "pulseGenerator", {
            "id": "I_step", "delay": q(injection_delay_ms + inj["step_start"] * 1e3, "ms"),
            "duration": q((inj["step_stop"] - inj["step_start"]) * 1e3, "ms"),
            "amplitude": q(inj["I_step"] * 1e12, "pA")})
        inputs.append("I_step")
    net = _sub(root, "networkWithTemperature", {
        "id": f"{sim_id}_network", "temperature": q(desc.temperature_K - 273.15, "degC")})
    _sub(net, "population", {"id": "lhb", "component": cell_id, "size": "1"})
    for name in inputs:
        _sub(net, "explicitInput", {"target": "lhb[0]", "input": name})
    sim = _sub(root, "Simulation", {"id": sim_id, "length": q(duration_ms, "ms"),
                                    "step": q(step_ms, "ms"), "target": f"{sim_id}_network"})
    # jLEMS ignores this; jNeuroML's NEURON export (jnml LEMS_x.xml -neuron) runs CVODE
    _sub(sim, "Meta", {"for": "neuron", "method": "cvode", "abs_tolerance": q(cvode_tolerance),
                       "rel_tolerance": q(cvode_tolerance)})
    out = _sub(sim, "EventOutputFile", {"id": "spikes", "fileName": spikes_file,
                                        "format": "TIME_ID"})
    _sub(out, "EventSelection", {"id": "0", "select": "lhb[0]", "eventPort": "spike"})
    if v_file:
        trace = _sub(sim, "OutputFile", {"id": "v", "fileName": v_file})
        _sub(trace, "OutputColumn", {"id": "v", "quantity": "lhb[0]/v"})
    return _text(root)
