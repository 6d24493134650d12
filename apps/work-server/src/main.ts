// work-server: BOINC-style project server.
export {};
