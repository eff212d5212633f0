import type { BackendUrl } from '@nestmesh/common';

/**
 * The request deadline a backend's URLs and its module option agree on, in ms: `?timeout=<ms>`
 * of the URLs (every URL of a list must give the same one) or the option; undefined when
 * neither gives one (the backend's default). A URL and an option that disagree are refused
 * rather than one silently winning.
 */
export function agreedTimeoutMs(
  urls: readonly BackendUrl[],
  option: { readonly name: string; readonly value: number | undefined },
): number | undefined {
  const given = urls.map((url) => url.positiveNumber('timeout'));
  const fromUrls = given.find((value) => value !== undefined);
  const disagreeing = urls.find((_url, index) => given[index] !== fromUrls);
  if (disagreeing && fromUrls !== undefined)
    disagreeing.fail(`every URL of the list must give the same timeout (another gives timeout=${fromUrls})`);
  if (fromUrls !== undefined && option.value !== undefined && fromUrls !== option.value)
    urls[0].fail(`timeout=${fromUrls} disagrees with ${option.name} ${option.value}; give one of them`);
  return fromUrls ?? option.value;
}
