"""OpenDSS's property order of every class the importer reads (a fact about OpenDSS, as
``opendssdirect`` lists it: DSS C-API 0.14.5, OpenDSS SVN 3723).

OpenDSS uses this order twice, and so does GAT (:mod:`._script`):

* a value written without a name sets the property **after the one set last** (the first
  property when none was named yet): ``New Circuit.X basekv=12.47 mvasc3=2e5 2e5`` sets
  ``mvasc1`` with the second number;
* a property name that is not a full name is the **first** property, in this order, whose
  name starts with it: ``WireData gmr=`` is ``gmrac`` (not ``gmrunits``).

``packages/gat-dist/tests/test_opendss_feeder_sweep.py`` checks these lists against OpenDSS when
``opendssdirect`` is installed.
"""

from __future__ import annotations

__all__ = ["PROPERTY_ORDER"]

_ORDER = {
    "capacitor": (
        "bus1 bus2 phases kvar kv conn cmatrix cuf r xl harm numsteps states normamps emergamps "
        "faultrate pctperm repair basefreq enabled like"
    ),
    "capcontrol": (
        "element terminal capacitor type ptratio ctratio onsetting offsetting delay "
        "voltoverride vmax vmin delayoff deadtime ctphase ptphase vbus eventlog usermodel "
        "userdata pctminkvar reset controlsignal basefreq enabled like"
    ),
    "circuit": (
        "bus1 basekv pu angle frequency phases mvasc3 mvasc1 x1r1 x0r0 isc3 isc1 r1 x1 r0 x0 "
        "scantype sequence bus2 z1 z0 z2 puz1 puz0 puz2 basemva yearly daily duty model "
        "puzideal spectrum basefreq enabled like"
    ),
    "cndata": (
        "k diastrand gmrstrand rstrand epsr inslayer diains diacable rdc rac runits gmrac "
        "gmrunits radius radunits normamps emergamps diam seasons ratings capradius like"
    ),
    "fuse": (
        "monitoredobj monitoredterm switchedobj switchedterm fusecurve ratedcurrent delay "
        "action normal state basefreq enabled like"
    ),
    "generator": (
        "phases bus1 kv kw pf kvar model vminpu vmaxpu yearly daily duty dispmode dispvalue "
        "conn status class vpu maxkvar minkvar pvfactor forceon kva mva xd xdp xdpp h d "
        "usermodel userdata shaftmodel shaftdata dutystart debugtrace balanced xrdp usefuel "
        "fuelkwh %fuel %reserve refuel dynamiceq dynout spectrum basefreq enabled like"
    ),
    "line": (
        "bus1 bus2 linecode length phases r1 x1 r0 x0 c1 c0 rmatrix xmatrix cmatrix switch rg "
        "xg rho geometry units spacing wires earthmodel cncables tscables b1 b0 seasons ratings "
        "linetype normamps emergamps faultrate pctperm repair basefreq enabled like"
    ),
    "linecode": (
        "nphases r1 x1 r0 x0 c1 c0 units rmatrix xmatrix cmatrix basefreq normamps emergamps "
        "faultrate pctperm repair kron rg xg rho neutral b1 b0 seasons ratings linetype like"
    ),
    "linegeometry": (
        "nconds nphases cond wire x h units normamps emergamps reduce spacing wires cncable "
        "tscable cncables tscables seasons ratings linetype like"
    ),
    "linespacing": ("nconds nphases x h units like"),
    "load": (
        "phases bus1 kv kw pf model yearly daily duty growth conn kvar rneut xneut status class "
        "vminpu vmaxpu vminnorm vminemerg xfkva allocationfactor kva %mean %stddev cvrwatts "
        "cvrvars kwh kwhdays cfactor cvrcurve numcust zipv %seriesrl relweight vlowpu puxharm "
        "xrharm spectrum basefreq enabled like"
    ),
    "loadshape": (
        "npts interval mult hour mean stddev csvfile sngfile dblfile action qmult useactual "
        "pmax qmax sinterval minterval pbase qbase pmult pqcsvfile memorymapping interpolation "
        "like"
    ),
    "pvsystem": (
        "phases bus1 kv irradiance pmpp %pmpp temperature pf conn kvar kva %cutin %cutout "
        "effcurve p-tcurve %r %x model vminpu vmaxpu balanced limitcurrent yearly daily duty "
        "tyearly tdaily tduty class usermodel userdata debugtrace varfollowinverter dutystart "
        "wattpriority pfpriority %pminnovars %pminkvarmax kvarmax kvarmaxabs kvdc kp pitol "
        "safevoltage safemode dynamiceq dynout controlmode amplimit amplimitgain spectrum "
        "basefreq enabled like"
    ),
    "reactor": (
        "bus1 bus2 phases kvar kv conn rmatrix xmatrix parallel r x rp z1 z2 z0 z rcurve lcurve "
        "lmh normamps emergamps faultrate pctperm repair basefreq enabled like"
    ),
    "recloser": (
        "monitoredobj monitoredterm switchedobj switchedterm numfast phasefast phasedelayed "
        "groundfast grounddelayed phasetrip groundtrip phaseinst groundinst reset shots "
        "recloseintervals delay action tdphfast tdgrfast tdphdelayed tdgrdelayed normal state "
        "basefreq enabled like"
    ),
    "regcontrol": (
        "transformer winding vreg band ptratio ctprim r x bus delay reversible revvreg revband "
        "revr revx tapdelay debugtrace maxtapchange inversetime tapwinding vlimit ptphase "
        "revthreshold revdelay revneutral eventlog remoteptratio tapnum reset ldc_z rev_z cogen "
        "basefreq enabled like"
    ),
    "relay": (
        "monitoredobj monitoredterm switchedobj switchedterm type phasecurve groundcurve "
        "phasetrip groundtrip tdphase tdground phaseinst groundinst reset shots "
        "recloseintervals delay overvoltcurve undervoltcurve kvbase 47%pickup 46baseamps "
        "46%pickup 46isqt variable overtrip undertrip breakertime action z1mag z1ang z0mag "
        "z0ang mphase mground eventlog debugtrace distreverse normal state doc_tiltanglelow "
        "doc_tiltanglehigh doc_tripsettinglow doc_tripsettinghigh doc_tripsettingmag "
        "doc_delayinner doc_phasecurveinner doc_phasetripinner doc_tdphaseinner doc_p1blocking "
        "basefreq enabled like"
    ),
    "storage": (
        "phases bus1 kv conn kw kvar pf kva %cutin %cutout effcurve varfollowinverter kvarmax "
        "kvarmaxabs wattpriority pfpriority %pminnovars %pminkvarmax kwrated %kwrated kwhrated "
        "kwhstored %stored %reserve state %discharge %charge %effcharge %effdischarge %idlingkw "
        "%idlingkvar %r %x model vminpu vmaxpu balanced limitcurrent yearly daily duty dispmode "
        "dischargetrigger chargetrigger timechargetrig class dynadll dynadata usermodel "
        "userdata debugtrace kvdc kp pitol safevoltage safemode dynamiceq dynout controlmode "
        "amplimit amplimitgain spectrum basefreq enabled like"
    ),
    "transformer": (
        "phases windings wdg bus conn kv kva tap %r rneut xneut buses conns kvs kvas taps xhl "
        "xht xlt xscarray thermal n m flrise hsrise %loadloss %noloadloss normhkva emerghkva "
        "sub maxtap mintap numtaps subname %imag ppm_antifloat %rs bank xfmrcode xrconst x12 "
        "x13 x23 leadlag wdgcurrents core rdcohms seasons ratings normamps emergamps faultrate "
        "pctperm repair basefreq enabled like"
    ),
    "tsdata": (
        "diashield tapelayer tapelap epsr inslayer diains diacable rdc rac runits gmrac "
        "gmrunits radius radunits normamps emergamps diam seasons ratings capradius like"
    ),
    "wiredata": (
        "rdc rac runits gmrac gmrunits radius radunits normamps emergamps diam seasons ratings "
        "capradius like"
    ),
    "xfmrcode": (
        "phases windings wdg conn kv kva tap %r rneut xneut conns kvs kvas taps xhl xht xlt "
        "xscarray thermal n m flrise hsrise %loadloss %noloadloss normhkva emerghkva maxtap "
        "mintap numtaps %imag ppm_antifloat %rs x12 x13 x23 rdcohms seasons ratings like"
    ),
}

#: Class (GAT's name: ``circuit`` is the Vsource) -> its properties in OpenDSS's order.
PROPERTY_ORDER: dict[str, tuple[str, ...]] = {
    cls: tuple(text.split()) for cls, text in _ORDER.items()
}
