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

**Calibrated rates** (:mod:`habmodel.model.parameters`, group ``trapping``; rates of
the coarse gating variable ``s``, not single-channel rates): ``k_on_ket``
2.5e-3 /s per uM, ``k_off_ket`` 1e-3 /s at 0 mV, ``V_off_ket`` 33 mV
(electrical distance 0.8 at 34 C), ``ket_Mg_competition`` 1. Calibration
targets: a steady-state IC50 in the low-uM range (docs/science.md sec. 3: about 1 uM
at the pore, IC50 rising with Mg2+) and a block kept for hours by a quiet cell.
Measured (default seed, 6 cells x 5 s per block level):

* IC50 at fixed voltage: 0.96 uM at -66 mV in 1 mM Mg2+, 0.51 uM at 0 mV;
  0.054 uM at -66 mV without Mg2+ (about 6x below the 0.3-0.5 uM reported there:
  here Mg2+ competition accounts for all of the Mg2+ effect, 18x at -66 mV);
* steady-state IC50 in the spiking depressed cell (:func:`steady_state_ic50`):
  1.3 uM quiet, 0.9 uM with NMDA drive x4, 0.7 uM with +30 pA;
* unblocking time constant of a quiet, blocked (silent) depressed cell:
  ``1/(k_off p_exit)`` = about 27 h (``p_exit`` 0.0102); half of a 63 % block is
  lost in 17 h quiet, 3.9 h with NMDA drive x4, 8.9 h with +30 pA
  (:func:`washout`);
* use-dependence (:func:`use_dependence`, 10 uM): onset 1.1e-4 /s quiet,
  3.3e-4 /s with drive x2 or +30 pA, 1.2e-3 /s with drive x4.

What the model says about "one dose for a day": trapped block lasts a day only
if much of it got in, and at the same activity the product of the block that
gets in and the time it stays is bounded by about (drug exposure)/IC50 (both
rates scale with the same open probability). The model's bursting depressed
cell lets ketamine in only 1.5x faster than the silent one (``p_entry`` 0.0047
vs 0.0031) and keeps bursting until about half its NMDA channels are blocked.
So one mouse dose (10 mg/kg i.p., brain peak 12 uM) blocks 18 % of the
channels in a quiet cell and 61 % if the LHb is stimulated while the drug is
present (bursts then suppressed by >= 80 % from 0.3 to 4.5 h and by 44 % at 12 h);
the human dose (peak 0.78 uM, below the IC50) blocks at most 20 % and does
not suppress bursting (:func:`day_course`).

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
full. Error (8 cells, tables measured on other inputs, block sampled every
5 s): with the calibrated rates over 120 s (10 uM quiet, with drive x4 and with
+30 pA; washout from 0.8 with drive x4) the change of the block differs by
0.3-0.9 % and the block by at most 0.0012; with the kinetics 100x faster over
200 s (onset at 3 and 10 uM through the burst-to-silent switch, washout from
0.9 quiet and driven: the block travels 0.17-0.76) by 0.1-3.8 % and at most
0.017. Faster kinetics leave less time-scale separation, so the error at the
calibrated rates is expected to be the smaller one, as measured. Not covered:
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
]
