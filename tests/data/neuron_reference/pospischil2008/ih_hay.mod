COMMENT
Hyperpolarisation-activated cation current Ih of layer 5 pyramidal neurons: rates of
Kole, Hallermann & Stuart (2006) J Neurosci 26:1677-1687 as used by Hay et al. (2011)
PLoS Comput Biol 7:e1002107 (no temperature factor):
alpha = 0.00643 (V + 154.9) / (exp((V + 154.9)/11.9) - 1), beta = 0.193 exp(V/33.1) (1/ms),
I = g q (V - E_h). Written for vlab's reference data from the published equations.
ENDCOMMENT

NEURON {
    SUFFIX ihhay
    NONSPECIFIC_CURRENT ih
    RANGE ghbar, eh_fix, gh
}

UNITS {
    (mA) = (milliamp)
    (mV) = (millivolt)
    (S) = (siemens)
}

PARAMETER {
    ghbar = 2e-4 (S/cm2)
    eh_fix = -45 (mV)
}

ASSIGNED {
    v (mV)
    ih (mA/cm2)
    gh (S/cm2)
    qinf
    tauq (ms)
}

STATE { q }

BREAKPOINT {
    SOLVE states METHOD cnexp
    gh = ghbar * q
    ih = gh * (v - eh_fix)
}

INITIAL {
    rates(v)
    q = qinf
}

DERIVATIVE states {
    rates(v)
    q' = (qinf - q) / tauq
}

PROCEDURE rates(vm (mV)) {
    LOCAL a, b, x
    x = vm + 154.9
    if (fabs(x / 11.9) < 1e-6) {
        a = 0.00643 * 11.9 * (1 - x / 11.9 / 2)
    } else {
        a = 0.00643 * x / (exp(x / 11.9) - 1)
    }
    b = 0.193 * exp(vm / 33.1)
    qinf = a / (a + b)
    tauq = 1 / (a + b)
}
