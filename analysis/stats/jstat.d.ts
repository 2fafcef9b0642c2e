// Types for the part of jstat 1.9.6 that analysis/stats uses. The package ships
// no declarations of its own.
declare module 'jstat' {
  interface JStat {
    gammaln(x: number): number;
    normal: {
      cdf(x: number, mean: number, std: number): number;
      inv(p: number, mean: number, std: number): number;
    };
    chisquare: {
      cdf(x: number, dof: number): number;
      inv(p: number, dof: number): number;
    };
  }

  const jstatModule: { jStat: JStat };
  export default jstatModule;
}
