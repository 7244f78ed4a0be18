COMMENT
Fast Na+ and delayed-rectifier K+ currents of the regular-spiking cortical cell of
Pospischil et al. (2008) Biol Cybern 99:427-441 (eqs. 2-4), with the Traub & Miles (1991)
rate functions shifted by VT. Written for vlab's reference data from the published
equations. Rates in 1/ms at 36 degC, scaled by Q10 = 3.
ENDCOMMENT

NEURON {
    SUFFIX trhh
    USEION na WRITE ina
    USEION k WRITE ik
    RANGE gnabar, gkbar, vt, ena_fix, ek_fix, gna, gk
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gnabar = 0.056 (S/cm2)
    gkbar = 0.006 (S/cm2)
    vt = -56.2 (mV)
    ena_fix = 50 (mV)
    ek_fix = -90 (mV)
    q10 = 3
    tbase = 36 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ina (mA/cm2)
    ik (mA/cm2)
    gna (S/cm2)
    gk (S/cm2)
    minf
    hinf
    ninf
    taum (ms)
    tauh (ms)
    taun (ms)
}

STATE { m h n }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gna = gnabar * m * m * m * h
    gk = gkbar * n * n * n * n
    ina = gna * (v - ena_fix)
    ik = gk * (v - ek_fix)
}

INITIAL {
    rates(v)
    m = minf
    h = hinf
    n = ninf
}

DERIVATIVE states {
    rates(v)
    m' = (minf - m) / taum
    h' = (hinf - h) / tauh
    n' = (ninf - n) / taun
}

FUNCTION efun(x, y) {
    : x / (exp(x/y) - 1), with its limit y at x = 0
    if (fabs(x / y) < 1e-6) {
        efun = y * (1 - x / y / 2)
    } else {
        efun = x / (exp(x / y) - 1)
    }
}

PROCEDURE rates(vm (mV)) {
    LOCAL u, am, bm, ah, bh, an, bn, phi
    phi = q10 ^ ((celsius - tbase) / 10)
    u = vm - vt
    am = 0.32 * efun(-(u - 13), 4)
    bm = 0.28 * efun(u - 40, 5)
    ah = 0.128 * exp(-(u - 17) / 18)
    bh = 4 / (1 + exp(-(u - 40) / 5))
    an = 0.032 * efun(-(u - 15), 5)
    bn = 0.5 * exp(-(u - 10) / 40)
    minf = am / (am + bm)
    hinf = ah / (ah + bh)
    ninf = an / (an + bn)
    taum = 1 / ((am + bm) * phi)
    tauh = 1 / ((ah + bh) * phi)
    taun = 1 / ((an + bn) * phi)
}
