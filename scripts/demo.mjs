// Placeholder until the platform demo lands: runs what exists.
console.log("Fieldline demo: the parts are being assembled; run `npm run ci` to exercise them.");
