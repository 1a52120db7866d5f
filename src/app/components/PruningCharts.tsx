// What the pruner did: the distribution of pruning scores with the threshold marked, and the density
// kept in every adapter tensor as a layer × tensor grid (global scope lets layers differ).
import { heatCellColors } from '../contrast';
import { memo } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunRecord } from '../runs';

type Pruned = NonNullable<RunRecord['pruned']>;

// Memoised on the pruning outcome, which never changes during training: streaming steps do not redraw them.
const ScoreHistogram = memo(function ScoreHistogram({ pruned }: { pruned: Pruned }) {
  const { edges, counts, thresholdBin, zeros } = pruned.histogram;
  const data = counts.map((count, i) => ({ bin: ((edges[i]! + edges[i + 1]!) / 2).toFixed(2), count, kept: thresholdBin !== null && i >= thresholdBin }));
  return (
    <div data-testid="score-histogram">
      <h3>Pruning scores (log₁₀, normalised){zeros > 0 ? `; ${zeros.toLocaleString('en-US')} scores are exactly 0` : ''}</h3>
      <ResponsiveContainer width="100%" height={160}>
        <BarChart data={data} barCategoryGap={0}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="bin" interval={7} />
          <YAxis width={48} interval={0} />
          <Tooltip />
          <Bar dataKey="count" isAnimationActive={false}>
            {data.map((d, i) => <Cell key={i} fill={i === thresholdBin ? '#D55E00' : d.kept ? '#0072B2' : '#aab3c5'} />)}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
      <p className="muted">Grey: removed; blue: kept; orange: the bin holding the threshold{Number.isFinite(pruned.threshold) ? ` (${pruned.threshold.toExponential(2)})` : ' (local scope: one threshold per tensor)'}.</p>
    </div>
  );
});

const DensityGrid = memo(function DensityGrid({ pruned }: { pruned: Pruned }) {
  const layers = [...new Set(pruned.density.map((d) => d.layer))];
  const columns = [...new Set(pruned.density.map((d) => d.name.replace(/^layer\.\d+\./, '')))];
  const cell = (layer: number | null, column: string) => pruned.density.find((d) => d.layer === layer && d.name.replace(/^layer\.\d+\./, '') === column);
  return (
    <div data-testid="density-grid">
      <h3>Density kept per tensor</h3>
      {/* The table scrolls sideways inside this region, which keyboard users can focus and scroll. */}
      <div className="heat-scroll" tabIndex={0} role="region" aria-label="Density kept per tensor, by layer (scrolls sideways)">
      <table className="compact heat">
        <thead><tr><th>layer</th>{columns.map((c) => <th key={c}>{c}</th>)}</tr></thead>
        <tbody>
          {layers.map((layer) => (
            <tr key={String(layer)}>
              <td>{layer ?? 'shared'}</td>
              {columns.map((c) => {
                const d = cell(layer, c);
                const density = d ? d.kept / d.total : null;
                // Text colour per cell from its background, so every cell reaches WCAG AA contrast (contrast.ts).
                const colors = density === null ? null : heatCellColors(density);
                return <td key={c} style={colors ? { background: colors.background, color: colors.color } : {}}>{density === null ? '' : `${(100 * density).toFixed(1)}%`}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </div>
  );
});

/** Both views, once a run has been pruned. */
export function PruningCharts({ run }: { run: RunRecord }) {
  if (!run.pruned) return null;
  return (
    <div className="pruning">
      <ScoreHistogram pruned={run.pruned} />
      <DensityGrid pruned={run.pruned} />
    </div>
  );
}
