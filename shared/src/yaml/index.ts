export { YamlDocument, PYYAML_PARSE_OPTIONS, type YamlSourceOptions, type YamlTextOptions } from './document';
export { YamlSpecError, OverridesSyntaxError, type YamlLocation } from './errors';
export { applyOverrides, parseOverrides, type AppliedOverride, type OverrideLine } from './overrides';
export { formatYamlPath, parseYamlPath, type PathSegment } from './path';
export { pyyamlTags } from './pyyamlSchema';
export { suggestFieldName, editDistance } from './suggest';
export { YamlValue, YamlMapping, type YamlEntry, type YamlKind } from './value';
export { valueAt, lineOf } from './lookup';
