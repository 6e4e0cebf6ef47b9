// Posters: fetched a few at a time, in the order they were asked for; the
// item's initial stands in until one arrives (or when there is none).

import { jellyfin } from "../../api";
import { el } from "../../dom";
import type { JellyfinItem } from "../../types";

/** Posters fetched at once. */
const POSTERS_AT_ONCE = 4;

export type PosterLoader = (img: HTMLImageElement, id: string, height: number) => void;

export function posterLoader(): PosterLoader {
  const queue: { img: HTMLImageElement; id: string; height: number }[] = [];
  let running = 0;
  const pump = () => {
    while (running < POSTERS_AT_ONCE && queue.length) {
      const job = queue.shift()!;
      running++;
      jellyfin
        .poster(job.id, job.height)
        .then((url) => {
          job.img.src = url;
          job.img.classList.add("loaded");
        })
        .catch(() => job.img.classList.add("missing"))
        .finally(() => {
          running--;
          pump();
        });
    }
  };
  return (img, id, height) => {
    queue.push({ img, id, height });
    pump();
  };
}

export function poster(item: JellyfinItem, height: number, load: PosterLoader): HTMLElement {
  const frame = el("div", { class: "poster-frame" }, el("span", { class: "poster-initial", "aria-hidden": "true", text: item.name.slice(0, 1) }));
  if (item.has_poster) {
    const img = el("img", { alt: "", class: "poster-img" });
    frame.append(img);
    load(img, item.id, height);
  }
  return frame;
}
