COMMENT
Slow non-inactivating K+ (M) current of Pospischil et al. (2008) Biol Cybern 99:427-441
(eq. 5): p_inf = 1/(1+exp(-(V+35)/10)),
tau_p = tau_max / (3.3 exp((V+35)/20) + exp(-(V+35)/20)), Q10 = 2.3 from 36 degC.
Written for vlab's reference data from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX imslow
    USEION k WRITE ik
    RANGE gmbar, taumax, ek_fix, gm
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    gmbar = 7.5e-5 (S/cm2)
    taumax = 608 (ms)
    ek_fix = -90 (mV)
    q10 = 2.3
    tbase = 36 (degC)
}

ASSIGNED {
    v (mV)
    celsius (degC)
    ik (mA/cm2)
    gm (S/cm2)
    pinf
    taup (ms)
}

STATE { p }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gm = gmbar * p
    ik = gm * (v - ek_fix)
}

INITIAL {
    rates(v)
    p = pinf
}

DERIVATIVE states {
    rates(v)
    p' = (pinf - p) / taup
}

PROCEDURE rates(vm (mV)) {
    LOCAL phi
    phi = q10 ^ ((celsius - tbase) / 10)
    pinf = 1 / (1 + exp(-(vm + 35) / 10))
    taup = taumax / (3.3 * exp((vm + 35) / 20) + exp(-(vm + 35) / 20)) / phi
}
