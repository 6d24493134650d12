// work-client: BOINC-style volunteer client.
export {};
