// Types for seedrandom's Alea generator imported on its own (@types/seedrandom types only the
// package's index). The module exports the constructor: a seed string in, a generator out.
declare module 'seedrandom/lib/alea.js' {
  const alea: (seed: string) => () => number;
  export default alea;
}
