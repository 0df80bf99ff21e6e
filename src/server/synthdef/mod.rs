//! SCgf SynthDef files: encode, decode, build, and the built-in SynthDefs.
