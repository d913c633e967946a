// The shape of a dashboard sre-gen generates, in Grafana's published TypeScript types:
// @grafana/schema (the dashboard, panel, field config and panel options types generated from
// Grafana's CUE kinds) and @grafana/prometheus (PromQuery, the Prometheus query of every target).
// tests/compile/test_dashboards_types.py writes `const d: SreGenDashboard = <dashboard JSON>;`
// and runs `tsc --noEmit --strict`: an object literal gets TypeScript's excess property checks,
// so an unknown key fails as well as a wrong type or a missing required key.
//
// Narrowed only where the published types are looser than Grafana's panel plugins (each panel
// type gets its own options and field config types instead of `Record<string, unknown>`), and
// widened only where they lack what Grafana reads (PromAnnotation, below).
import type {
  AnnotationQuery,
  Dashboard,
  DataTransformerConfig,
  FieldConfig,
  FieldConfigSource,
  Panel,
  RowPanel,
} from '@grafana/schema';
import type {
  FieldConfig as TimeSeriesFieldConfig,
  Options as TimeSeriesOptions,
} from '@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen';
import type { Options as StatOptions } from '@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen';
import type {
  FieldConfig as TableFieldConfig,
  Options as TableOptions,
} from '@grafana/schema/dist/esm/raw/composable/table/panelcfg/x/TablePanelCfg_types.gen';
import type { Options as TextOptions } from '@grafana/schema/dist/esm/raw/composable/text/panelcfg/x/TextPanelCfg_types.gen';
import type { PromQuery } from '@grafana/prometheus/dist/types/types';

// JSON has no TypeScript enums: a string enum stands for the set of its values
// (`${ThresholdsMode}` is "absolute" | "percentage"); everything else is kept as it is.
type Json<T> = T extends string
  ? `${T}`
  : T extends number | boolean | null | undefined
    ? T
    : T extends ReadonlyArray<infer U>
      ? Array<Json<U>>
      : T extends object
        ? { [K in keyof T]: Json<T[K]> }
        : T;

// The field config with the panel plugin's own `custom` type (the published
// FieldConfigSource<T> intersects T with Record<string, unknown>, which accepts any key).
type Fields<Custom> = Omit<FieldConfigSource, 'defaults'> & {
  defaults: Omit<FieldConfig, 'custom'> & { custom?: Custom };
};

type PanelBase = Omit<Panel, 'type' | 'options' | 'fieldConfig' | 'targets' | 'transformations'>;

interface TimeSeriesPanel extends PanelBase {
  type: 'timeseries';
  options: TimeSeriesOptions;
  fieldConfig: Fields<TimeSeriesFieldConfig>;
  targets: PromQuery[];
}

interface StatPanel extends PanelBase {
  type: 'stat';
  options: StatOptions;
  fieldConfig: Fields<Record<string, never>>; // the stat panel has no custom field config
  targets: PromQuery[];
}

interface TablePanel extends PanelBase {
  type: 'table';
  options: TableOptions;
  fieldConfig: Fields<TableFieldConfig>;
  targets: PromQuery[];
  transformations?: DataTransformerConfig[];
}

interface TextPanel extends PanelBase {
  type: 'text';
  options: TextOptions;
}

interface Row extends Omit<RowPanel, 'panels'> {
  type: 'row';
  panels: Array<TimeSeriesPanel | StatPanel | TablePanel | TextPanel>;
}

// A Prometheus annotation: its query is the target (a PromQuery); the title, text and tag
// templates stay beside it, where Grafana's Prometheus data source reads and writes them
// (@grafana/prometheus: AnnotationQueryEditor's titleFormat, textFormat, tagKeys and
// useValueForTime), a part of the annotation the dashboard kind does not type.
interface PromAnnotation extends AnnotationQuery<PromQuery> {
  titleFormat?: string;
  textFormat?: string;
  tagKeys?: string;
  useValueForTime?: boolean;
}

export type SreGenDashboard = Json<
  Omit<Dashboard, 'panels' | 'annotations'> & {
    panels: Array<TimeSeriesPanel | StatPanel | TablePanel | TextPanel | Row>;
    annotations: { list: PromAnnotation[] };
  }
>;
