/**
 * Scalar resolution as PyYAML's SafeLoader does it (YAML 1.1 with PyYAML's own regular expressions).
 *
 * The `az ml` CLI reads every YAML file with PyYAML, so `on: yes` is a boolean there and `1e-5` is text.
 * The `yaml` package's 1.1 schema is close but not equal (it reads `y`/`n` as booleans, `1e-5` and `09`
 * as numbers, and dates as Date objects). We tune it so a file means here exactly what it means to the CLI;
 * dates stay text (PyYAML makes them date objects, whose str() is the same text).
 */
import type { ScalarTag, Tags } from 'yaml';

const BOOL_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const BOOL_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const INT_DECIMAL = /^[-+]?(?:0|[1-9][0-9_]*)$/;
const INT_SEXAGESIMAL = /^[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+$/;
// PyYAML requires a dot in a float and a sign in its exponent ("1.0e+5"); ".5" is a float too.
const FLOAT_EXP = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+|\.[0-9_]+[eE][-+][0-9]+)$/;
const FLOAT_PLAIN = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;

const TEST_BY_TAG_AND_FORMAT: Record<string, RegExp> = {
  'tag:yaml.org,2002:int|': INT_DECIMAL,
  'tag:yaml.org,2002:int|TIME': INT_SEXAGESIMAL,
  'tag:yaml.org,2002:float|EXP': FLOAT_EXP,
  'tag:yaml.org,2002:float|': FLOAT_PLAIN,
};

/** `customTags` for `parseDocument(..., { version: '1.1', customTags: pyyamlTags })`. */
export function pyyamlTags(tags: Tags): Tags {
  const result: Tags = [];
  for (const tag of tags) {
    if (typeof tag !== 'object' || !('tag' in tag)) {
      result.push(tag);
      continue;
    }
    const scalar = tag as ScalarTag;
    if (scalar.tag === 'tag:yaml.org,2002:timestamp') continue;
    if (scalar.tag === 'tag:yaml.org,2002:bool' && scalar.test) {
      const isTrue = scalar.test.test('true');
      result.push({ ...scalar, test: isTrue ? BOOL_TRUE : BOOL_FALSE });
      continue;
    }
    // .inf/.nan shares the plain float's tag and (absent) format; PyYAML reads it the same way.
    const isInfOrNaN = scalar.test?.test('.nan') ?? false;
    const replacement = isInfOrNaN ? undefined : TEST_BY_TAG_AND_FORMAT[`${scalar.tag}|${scalar.format ?? ''}`];
    result.push(replacement && scalar.test ? { ...scalar, test: replacement } : tag);
  }
  return result;
}
