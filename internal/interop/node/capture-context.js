'use strict';
// Generates a Flex API v2 capture context with the official CyberSource Node SDK
// (cybersource-rest-client), authenticated by JWT with the shared secret (HS256), against the
// sandbox whose base URL is PAYSANDBOX_CYBERSOURCE_URL. Prints the capture context (a JWT).
const cybersource = require('cybersource-rest-client');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`capture-context.js: ${name} is not set`);
    process.exit(2);
  }
  return v;
};

const config = {
  authenticationType: 'jwt',
  jwtKeyType: 'SHARED_SECRET',
  runEnvironment: 'apitest.cybersource.com', // the host requests are signed for
  intermediateHost: env('PAYSANDBOX_CYBERSOURCE_URL'), // where they are sent
  merchantID: env('PAYSANDBOX_CYBERSOURCE_MERCHANT_ID'),
  merchantKeyId: env('PAYSANDBOX_CYBERSOURCE_KEY_ID'),
  merchantsecretKey: env('PAYSANDBOX_CYBERSOURCE_SHARED_SECRET'),
  logConfiguration: { enableLog: false },
};

const client = new cybersource.ApiClient();
const api = new cybersource.FlexAPIApi(config, client);
const request = new cybersource.GenerateFlexAPICaptureContextRequest();
request.fields = {
  paymentInformation: {
    card: {
      number: { required: true },
      securityCode: { required: false },
    },
  },
};

api.generateFlexAPICaptureContext(request, (error, data, response) => {
  if (error) {
    const status = error.status || (error.response && error.response.status);
    const body = error.response && (error.response.text || JSON.stringify(error.response.data));
    console.error(`capture-context.js: ${status}: ${body || error.message || error}`);
    process.exit(1);
  }
  process.stdout.write(String(data).trim() + '\n');
});
