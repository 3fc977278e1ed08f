"""Ketamine trapping: the kinetic block, a reduced model for hours, and the protocols.

**The scheme** (``ketamine_model="trapping"``, :data:`habmodel.model.TRAPPING_EQUATIONS`).
Synaptic NMDA channels are closed ``C``, open ``O`` (the Brunel-Wang gating
``s``), open-blocked ``OB`` (``s_blk``) or closed-blocked, i.e. trapped, ``CB``
(``s_trap``)::

            alpha*x               k_on*[ket]*m(V)
        C  --------->  O  ------------------------>  OB
           <---------     <------------------------
            1/tau_d             k_off(V)
                                                   OB  --1/tau_d-->  CB  (trapped)
                                                   OB <--alpha*x---  CB

Ketamine enters only open channels, at ``k_on_ket`` per uM times
``m(V) = 1 - c + c*B_Mg(V)``, the fraction of open pores free of Mg2+
(``c = ket_Mg_competition``; Mg2+ and ketamine compete for the pore, which is
why Mg2+ raises the ketamine IC50). It leaves only from ``OB``, at
``k_off(V) = k_off_ket*exp(V/V_off_ket)`` (a cation pushed out by
depolarisation). A blocked channel closes, with the drug inside, at the rate
open channels close; a trapped channel reopens into ``OB`` when glutamate
arrives. Blocked channels gate like free ones, so the total open fraction
``s + s_blk`` is exactly the drug-free gating, and at a fixed voltage the
steady-state block ``B = K/(K + IC50(V))``, ``IC50(V) = k_off(V)/(k_on m(V))``,
does not depend on how often channels open (:func:`ic50_at`): activity sets how
*fast* the block comes and goes, not how deep it is.

**Rates** (:mod:`habmodel.model.parameters`, group ``trapping``; rates of the coarse
gating variable ``s``): the literature's (Gilling et al. 2009): ``k_on_ket`` 0.15 /s per
uM, ``k_off_ket`` 1.78 /s at 0 mV (0.22 /s at -70 mV), ``V_off_ket`` 33.5 mV (delta
0.79 at 34 C), and ``ket_Mg_competition`` 0.85 [assume], so that Mg2+ raises the IC50 5x
at -66 mV and the IC50 rises with depolarisation. IC50 at fixed voltage: 1.5 uM at
-70 mV without Mg2+, 8.4 uM at -66 mV in 1 mM Mg2+; in the spiking depressed cell about
7 uM. Block develops within seconds at 10 uM and, after washout, a quiet cell loses
half of it in about half a minute (an open channel keeps ketamine 4.5 s), a stimulated
one in a few seconds. docs/calibration.md has the comparison with the literature.

What the model says about "one dose for a day" (:mod:`habmodel.trapping.oneday`): with
these rates it does not happen. At a fixed channel opening the block that gets in times
the time it stays is at most (drug exposure)/IC50, 0.73 h for one mouse dose; a day at
half block needs about 12 h. :func:`habmodel.trapping.oneday.required_opening_after`
gives the condition under which it would: the channels of the cell left alone must open
1e-5 to 1e-4 times as often from 20 min after the dose on (the ``opening_after``
hypothesis of :func:`reduced_block`).

**Hours of model time: the reduced model.** The blocked fraction ``B = s_blk +
s_trap`` changes over minutes to days; firing and gating change over
milliseconds to a second. So between them the block is quasi-static, and

    dB/dt = k_on [ket](t) p_entry(B) (1 - B) - k_off p_exit(B) B

where ``p_entry(B) = <m(V) s>/(1 - B)`` (the Mg2+-free open probability of a
free channel) and ``p_exit(B) = <exp(V/V_off) s_blk>/B`` (the voltage-weighted
open probability of a blocked channel) are averages over the firing mode that
the cell has at block ``B``. :func:`firing_mode_table` measures them by
simulating spiking windows of the full model at a grid of block levels
(separate probe runs for entry and exit, the block read before and after each
window: exact flux integrals, not samples); :func:`reduced_block` integrates the
equation over hours with the drug concentration from
:mod:`habmodel.trapping.pharmacokinetics` and a schedule of stimulation, and reads the
firing (bursts/s, ...) off the same table. :func:`validate_reduced_model`
compares it with the full simulation over a window short enough to run in
full. Error bounds are kept by ``tests/test_trapping.py`` (the literature rates with
NMDA drive x4 over 60 s, and fast test rates through the burst-to-silent switch over
100 s: the change of the block within 5 %); measured before the literature rates, at
slower rates, the error was 0.1-3.8 %. Not covered:
the tonic NMDA component (``s_tonic``; 0 by default), a firing mode that depends
on history at a given block (each window starts from the same initial state),
and differences between cells (the table is a population mean).

Stimulation means more NMDA drive (``nu_glu``) or a depolarising current
(``I_hold``): any parameter overrides, applied on top of the condition.

Tables are tidy :class:`pandas.DataFrame` objects; figures are
:class:`matplotlib.figure.Figure` objects (no pyplot). Dimensional inputs are
Brian2 quantities or strings (``"10 uM"``, ``"30 min"``).
"""

from __future__ import annotations

from ._base import DEFAULT_BLOCKS, DEFAULT_SEED, STIMULATIONS
from .full import (
    block_summary,
    block_time_course,
    firing_mode_table,
    steady_state_curve,
    steady_state_ic50,
)
from .oneday import exposure_bound, one_dose_summary, required_opening_after
from .plots import plot_day_course, plot_use_dependence, plot_validation, plot_washout
from .protocols import day_course, trapping_claim, use_dependence, washout, washout_summary
from .reduced import reduced_block, reduced_model_error, validate_reduced_model
from .scheme import block_rates, ic50_at, steady_state_block

__all__ = [
    "DEFAULT_SEED", "DEFAULT_BLOCKS", "STIMULATIONS", "block_rates", "steady_state_block",
    "ic50_at", "block_time_course", "block_summary", "firing_mode_table", "steady_state_curve",
    "steady_state_ic50", "reduced_block", "validate_reduced_model", "reduced_model_error",
    "use_dependence", "washout", "washout_summary", "day_course", "trapping_claim",
    "plot_use_dependence", "plot_validation", "plot_washout", "plot_day_course",
    "one_dose_summary", "required_opening_after", "exposure_bound",
]
