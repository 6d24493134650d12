// Public API of @livelab/media-player: The player page (stream list, hls.js/dash.js playback, stats) bundled for the browser.
export {};
