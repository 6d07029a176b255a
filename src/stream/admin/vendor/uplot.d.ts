// uPlot's ES module, served by the service at /admin/vendor/uplot.js (adminFiles.ts) from node_modules:
// this gives the relative import the package's own types.
import uPlot from 'uplot';
export default uPlot;
