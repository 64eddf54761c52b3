using System.Net;
using System.Text;
using AbandonedCart.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;

namespace AbandonedCart.Tests.Security;

/// <summary>
/// Every endpoint the Api maps (read from its <see cref="EndpointDataSource"/>, so a new endpoint is covered without
/// being listed here), called without credentials and with wrong ones: 401 or 404 as problem+json, never data, and
/// nothing changes in the database. Only the endpoints in <see cref="PublicByDesign"/> answer anonymous callers.
/// </summary>
public sealed class EndpointAuthTests(PostgresDatabase db) : IClassFixture<PostgresDatabase>
{
    /// <summary>Endpoints that answer without credentials, and why that is safe.</summary>
    public static readonly IReadOnlyDictionary<string, string> PublicByDesign = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["GET /health/live"] = "liveness probe: answers Healthy and nothing else",
        ["GET /health/temporal"] = "Temporal probe for monitoring: check name and Healthy/Unhealthy with an exception type, no data",
        ["GET /health/ready"] = "readiness probe: check names and Healthy/Unhealthy with an exception type, no data",
        ["GET /openapi/{documentName}.json"] = "the API description (paths and schemas), no data",
        ["GET /openapi"] = "a static page that renders /openapi/v1.json",
    };

    /// <summary>
    /// Endpoints that authenticate the request itself rather than the caller; without a valid signature or token they
    /// answer 401 or 404 like every other endpoint, so they are checked here too.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> SignedRequests = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["GET /t/c/{token}"] = "click link: HMAC-signed token, 404 when forged",
        ["GET /t/o/{token}"] = "open pixel: HMAC-signed token, 404 when forged",
        ["POST /v1/events"] = "X-Signature: HMAC-SHA256 over timestamp and body, 300 s tolerance",
        ["POST /webhooks/shopify"] = "X-Shopify-Hmac-Sha256 over the body",
        ["POST /webhooks/sendgrid/events"] = "ECDSA P-256 over timestamp and body, 10 min tolerance; 404 without a key",
        ["POST /webhooks/twilio/status"] = "X-Twilio-Signature (HMAC-SHA1) over URL and parameters; 404 without an auth token",
        ["POST /webhooks/twilio/inbound"] = "X-Twilio-Signature (HMAC-SHA1) over URL and parameters; 404 without an auth token",
    };

    private const string OtherCustomer = "sec-customer-2";
    private const string OtherEmail = "bea.secret@example.com";
    private const string OtherPhone = "+4915199887700";

    private static readonly string[] PersonalData = [SecureApi.Email, SecureApi.Phone, SecureApi.PushToken, SecureApi.LineUserId, OtherEmail, OtherPhone, "Hello "];

    [Fact]
    public async Task EveryEndpoint_NoOrWrongCredentials_401Or404ProblemWithoutDataAndNothingChanged()
    {
        using var api = new SecureApi(db);
        await api.SeedCustomerAsync();

        var failures = await CheckEveryEndpointAsync(api, SecureApi.Customer, [null, "Bearer wrong-key", "Bearer ", $"Basic {Basic("admin:wrong-key")}", "Basic !!!"]);

        Assert.True(failures.Count == 0, $"Endpoints that answered without valid credentials:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public async Task EveryEndpoint_NoKeysConfigured_EmptyCredentialsAreRefused()
    {
        // An unset key must never open an endpoint: not as an empty bearer, not as an empty Basic password.
        using var api = new SecureApi(db, b => b
            .UseSetting("Admin:ApiKey", string.Empty)
            .UseSetting("Webhooks:SigningSecret", string.Empty)
            .UseSetting("Shopify:WebhookSecret", string.Empty)
            .UseSetting("Providers:SendGrid:WebhookVerificationKey", string.Empty)
            .UseSetting("Providers:Twilio:AuthToken", string.Empty));
        await api.SeedCustomerAsync(OtherCustomer, OtherEmail, OtherPhone);

        var failures = await CheckEveryEndpointAsync(api, OtherCustomer, [null, "Bearer ", "Bearer  ", $"Basic {Basic("admin:")}"]);

        Assert.True(failures.Count == 0, $"Endpoints that answered with empty credentials:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public async Task EndpointList_ReadFromTheApi_HoldsEveryKnownEndpointAndPublicOnesExist()
    {
        using var api = new SecureApi(db);
        var keys = api.Endpoints().Select(e => e.Key).ToHashSet(StringComparer.Ordinal);

        // The enumeration must see the Api's real endpoints, or the test above would pass on nothing.
        string[] known =
        [
            "GET /v1/customers/{id}", "PUT /v1/customers/{id}", "DELETE /v1/customers/{id}", "GET /v1/customers/{id}/journey",
            "GET /v1/inbox", "GET /v1/outbox", "GET /outbox", "GET /v1/reports/journeys/{journey}", "GET /dashboard",
        ];
        Assert.All(known.Concat(PublicByDesign.Keys).Concat(SignedRequests.Keys), k => Assert.Contains(k, keys));
    }

    private async Task<List<string>> CheckEveryEndpointAsync(SecureApi api, string customer, string?[] authorizations)
    {
        var before = await DatabaseState.DigestAsync(db.DataSource);
        var failures = new List<string>();
        foreach (var (key, method, endpoint) in api.Endpoints())
        {
            var path = Path(endpoint, customer);
            foreach (var authorization in authorizations)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path);
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("""{"email":"mallory@example.com","consents":{"email":true}}""", Encoding.UTF8, "application/json");
                }

                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }

                using var response = await api.Client.SendAsync(request);
                var body = await response.Content.ReadAsStringAsync();
                var leaked = PersonalData.Where(p => body.Contains(p, StringComparison.OrdinalIgnoreCase)).ToList();
                var what = $"{key} ({authorization ?? "no Authorization"}): {(int)response.StatusCode} {response.Content.Headers.ContentType}";
                if (leaked.Count > 0)
                {
                    failures.Add($"{what} shows personal data ({string.Join(", ", leaked)})");
                }

                if (PublicByDesign.ContainsKey(key))
                {
                    if ((int)response.StatusCode >= 500 && key is not ("GET /health/ready" or "GET /health/temporal"))
                    {
                        failures.Add($"{what}: a public endpoint failed");
                    }

                    continue;
                }

                if (response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.NotFound)
                    || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                {
                    failures.Add($"{what}, expected 401 or 404 application/problem+json");
                }
            }
        }

        var after = await DatabaseState.DigestAsync(db.DataSource);
        failures.AddRange(after.Where(t => before.GetValueOrDefault(t.Key) != t.Value).Select(t => $"table {t.Key} changed"));
        return failures;
    }

    private static string Path(RouteEndpoint endpoint, string customer)
    {
        var path = "/" + endpoint.RoutePattern.RawText!.Trim('/');
        foreach (var parameter in endpoint.RoutePattern.Parameters)
        {
            var value = parameter.Name switch
            {
                "id" => customer,
                "journey" => "abandoned-cart",
                "token" => "eyJmb3JnZWQiOnRydWV9.Zm9yZ2Vk",
                "documentName" => "v1",
                _ => "x",
            };
            path = path.Replace($"{{{parameter.Name}}}", value, StringComparison.Ordinal);
        }

        return path;
    }

    private static string Basic(string userAndPassword) => Convert.ToBase64String(Encoding.UTF8.GetBytes(userAndPassword));
}
