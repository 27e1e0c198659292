// The report page's look, inline: a system font stack, the Okabe–Ito palette
// (distinguishable with the common colour-vision deficiencies), and a light
// and a dark theme chosen by the reader's system (prefers-color-scheme).
// Nothing is loaded from anywhere: the page's Content-Security-Policy
// forbids it, so a stray reference fails loudly instead of phoning home.

/** Okabe & Ito (2008), "Color Universal Design": the palette's eight colours. */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** Series colours k0…k7 in the order charts use them (light theme / dark theme). */
const LIGHT = [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.bluishGreen, OKABE_ITO.orange, OKABE_ITO.reddishPurple, OKABE_ITO.skyBlue, OKABE_ITO.black, OKABE_ITO.yellow];
/** On a dark ground the blue is too dark: sky blue takes its place (and blue takes sky blue's). */
const DARK = [OKABE_ITO.skyBlue, OKABE_ITO.vermillion, OKABE_ITO.bluishGreen, OKABE_ITO.orange, OKABE_ITO.reddishPurple, OKABE_ITO.yellow, '#FFFFFF', OKABE_ITO.blue];

const vars = (colors: string[]) => colors.map((c, i) => `--c${i}:${c};`).join('');

/** The light theme's colours of a chart: its ground, text, grid, axis and series k0…k7 (the sweep's SVG file carries them too). */
export const LIGHT_THEME = `--bg:#ffffff;--fg:#1b1d21;--muted:#5b6170;--grid:#eceef2;--axis:#8b909b;${vars(LIGHT)}`;

/** How a chart's marks look, by class, in either theme: the page's stylesheet and the sweep's SVG file share it. */
export const CHART_MARKS = `.chart text{fill:var(--fg)}
.chart .tick,.chart .note,.chart .legend-note{fill:var(--muted)}
.chart .tick{font-size:12px;font-variant-numeric:tabular-nums}
.chart .axis-label{fill:var(--muted);font-size:12.5px}
.chart .panel-title{font-weight:600;font-size:14px}
.chart .value{font-variant-numeric:tabular-nums;font-weight:600}
.chart .note{font-weight:400}
.chart .legend-note{font-size:11.5px}
.chart .grid{stroke:var(--grid);stroke-width:1}
.chart .axis{stroke:var(--axis);stroke-width:1}
.chart .k0{--k:var(--c0)}.chart .k1{--k:var(--c1)}.chart .k2{--k:var(--c2)}.chart .k3{--k:var(--c3)}
.chart .k4{--k:var(--c4)}.chart .k5{--k:var(--c5)}.chart .k6{--k:var(--c6)}.chart .k7{--k:var(--c7)}
.chart .bar{fill:var(--k)}
.chart .bar.failed{fill-opacity:.22;stroke:var(--k);stroke-width:1.5;stroke-dasharray:4 3}
.chart .whisker{stroke:var(--fg);stroke-width:1.4;fill:none}
.chart .halo{stroke:var(--bg);stroke-width:4;fill:none;stroke-opacity:.85}
.chart .floor,.chart .budget{stroke:var(--fg);stroke-width:1.4;stroke-dasharray:5 4}
.chart .series,.chart .latency{stroke:var(--k);stroke-width:2.5;fill:none;stroke-linejoin:round}
.chart .dot{fill:var(--k);stroke:var(--bg);stroke-width:1.5}
.chart .reference{stroke:var(--k);stroke-width:1.6;stroke-dasharray:7 5}
.chart .model{stroke:var(--k);stroke-width:2.2;stroke-dasharray:.5 5;stroke-linecap:round;fill:none}
`;

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export const STYLE = `
:root{color-scheme:light dark;${LIGHT_THEME}--rule:#dcdee3;--card:#f4f6f9;--accent:${OKABE_ITO.blue};--warn:#8a5a00}
@media (prefers-color-scheme: dark){:root{--bg:#16181c;--fg:#e6e7ea;--muted:#a3a8b3;--rule:#343842;--grid:#2a2e36;--axis:#7d8390;--card:#1f2228;--accent:${OKABE_ITO.skyBlue};--warn:${OKABE_ITO.orange};${vars(DARK)}}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:17px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Liberation Sans","DejaVu Sans",Arial,sans-serif;font-kerning:normal}
main{max-width:60rem;margin:0 auto;padding:3rem 1.5rem 4rem}
h1{font-size:2.3rem;line-height:1.15;margin:0 0 .5rem;letter-spacing:-.015em}
h2{font-size:1.45rem;line-height:1.25;margin:3.2rem 0 .6rem;letter-spacing:-.01em;padding-top:.4rem;border-top:1px solid var(--rule)}
h3{font-size:1.1rem;margin:2rem 0 .4rem}
p{margin:.6rem 0;max-width:46rem}
.lede{font-size:1.15rem;color:var(--muted);max-width:46rem}
.meta{color:var(--muted);font-size:.9rem}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.88em}
.headline{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:1rem;margin:1.6rem 0 .4rem}
.card{background:var(--card);border-radius:14px;padding:1.1rem 1.3rem 1rem;border-left:5px solid var(--accent)}
.card.failed{border-left-color:var(--c1)}
.card .big{font-size:2.9rem;font-weight:700;line-height:1.1;font-variant-numeric:tabular-nums;letter-spacing:-.02em}
.card .pm{font-size:1.5rem;font-weight:600;color:var(--muted)}
.card .what{font-weight:600;margin-top:.3rem}
.card .where,.card .how{font-size:.86rem;color:var(--muted);margin-top:.15rem}
figure{margin:1.8rem 0 2.4rem}
figcaption{font-size:.9rem;color:var(--muted);margin-top:.5rem;max-width:52rem}
figcaption strong{color:var(--fg)}
.source{display:block;margin-top:.25rem}
.caveats{margin:.35rem 0 0;padding-left:1.1rem;color:var(--warn)}
svg.chart{display:block;width:100%;height:auto;overflow:visible;font-size:13px}
${CHART_MARKS}.table-wrap{overflow-x:auto;margin:.8rem 0 1.2rem}
table{border-collapse:collapse;font-size:.9rem;font-variant-numeric:tabular-nums;width:auto;min-width:min(100%,34rem)}
caption{text-align:left;font-weight:600;font-size:1rem;padding:.2rem 0 .5rem}
th,td{padding:.32rem .6rem;border-bottom:1px solid var(--rule);text-align:right;vertical-align:bottom;white-space:nowrap}
th{font-weight:600}
thead th{border-bottom:2px solid var(--rule)}
th.col{text-align:center;font-weight:400;font-size:.82rem;color:var(--muted);line-height:1.35;border-left:1px solid var(--rule)}
th.col code{color:var(--fg);font-size:.95em}
td.first,th.first{border-left:1px solid var(--rule)}
thead tr:first-child th:first-child,tbody th{text-align:left}
tbody th{font-weight:500}
td.failed{color:var(--c1);font-weight:600;text-align:center}
td.missing{color:var(--muted);text-align:center}
tbody tr:hover{background:var(--card)}
ul.plain{padding-left:1.1rem}
.source-item{margin:1rem 0 1.2rem}
.source-item h3{margin:0;font-size:1rem}
.source-item p{margin:.15rem 0}
footer{margin-top:3.5rem;padding-top:1rem;border-top:1px solid var(--rule);color:var(--muted);font-size:.85rem}
#selfcheck{display:none}
@media (max-width:40rem){body{font-size:16px}main{padding:2rem 1rem}.card .big{font-size:2.3rem}}
@media print{h2{break-after:avoid}figure{break-inside:avoid}}
`;

/**
 * Runs first in <head>: records script errors, failed loads, blocked
 * requests and console.error calls; after load, writes what it saw and the
 * rendered size of every chart as JSON into <pre id="selfcheck"> (hidden),
 * so a headless browser's --dump-dom can tell whether the page rendered.
 */
export const SELF_CHECK = `(function(){
var errors=[];
window.addEventListener('error',function(e){var t=e.target;errors.push(t&&t!==window&&t.tagName?'failed to load <'+t.tagName.toLowerCase()+'>':String(e.message));},true);
window.addEventListener('unhandledrejection',function(e){errors.push('unhandled rejection: '+String(e.reason));});
document.addEventListener('securitypolicyviolation',function(e){errors.push('blocked '+e.blockedURI+' ('+e.violatedDirective+')');});
var ce=console.error;console.error=function(){errors.push(Array.prototype.join.call(arguments,' '));return ce.apply(console,arguments);};
window.addEventListener('load',function(){
var charts=Array.prototype.map.call(document.querySelectorAll('svg.chart'),function(s){var r=s.getBoundingClientRect();return{id:s.id,width:Math.round(r.width),height:Math.round(r.height),marks:s.querySelectorAll('rect,polyline,path,circle,line').length,models:Array.prototype.map.call(s.querySelectorAll('path.model'),function(p){var b=p.getBoundingClientRect();return{width:Math.round(b.width),stroke:getComputedStyle(p).stroke,dash:getComputedStyle(p).strokeDasharray};})};});
var st=getComputedStyle(document.body);
var out=document.getElementById('selfcheck');
if(out)out.textContent=JSON.stringify({errors:errors,charts:charts,dark:matchMedia('(prefers-color-scheme: dark)').matches,background:st.backgroundColor,color:st.color,fontFamily:st.fontFamily,width:document.documentElement.clientWidth,height:document.documentElement.scrollHeight});
});
})();`;
