using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:Meta</c>: a Custom Audience (customer list) and a token allowed to manage it.</summary>
public sealed class MetaOptions : IProviderOptions
{
    public const string Section = "Providers:Meta";

    /// <summary>A system-user access token with ads_management: configuration or environment only.</summary>
    public string AccessToken { get; set; } = string.Empty;

    public string AudienceId { get; set; } = string.Empty;

    public string ApiVersion { get; set; } = "v21.0";

    public string BaseUrl { get; set; } = "https://graph.facebook.com";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(AccessToken))
        {
            yield return "AccessToken is required";
        }

        if (AudienceId.Length == 0 || !AudienceId.All(char.IsAsciiDigit))
        {
            yield return "AudienceId must be the numeric Custom Audience id";
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out _))
        {
            yield return "BaseUrl must be an absolute URL";
        }
    }
}

/// <summary>Meta Custom Audiences: <c>POST</c> (add) and <c>DELETE</c> (remove) <c>/{audience_id}/users</c> with EMAIL_SHA256.</summary>
public sealed class MetaAudienceSender(HttpClient http, IOptions<MetaOptions> options) : IAudienceSender
{
    public const string Name = "meta_custom_audiences";

    // Graph API throttling codes (application, user, ads account, custom audience): Meta answers them with a 4xx.
    private static readonly HashSet<int> ThrottleCodes = [4, 17, 32, 613, 80003];

    public string Audience => "meta";

    public string Provider => Name;

    /// <summary>Meta's rule for emails: trim leading and trailing whitespace, lower-case; then SHA-256, hex.</summary>
    public static string HashEmail(string email)
    {
        ArgumentNullException.ThrowIfNull(email);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(email.Trim().ToLowerInvariant())));
    }

    public Task AddAsync(string customerId, string email, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, HashEmail(email), cancellationToken);

    public Task RemoveAsync(string customerId, string email, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, HashEmail(email), cancellationToken);

    public Task RemoveHashedAsync(string customerId, string memberHash, string idempotencyKey, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Delete, memberHash, cancellationToken);

    // Adding or removing a hash is idempotent at Meta, so a retried activity needs no key of its own.
    private async Task SendAsync(HttpMethod method, string hashedEmail, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var url = new Uri($"{o.BaseUrl.TrimEnd('/')}/{o.ApiVersion}/{o.AudienceId}/users");
        using var request = new HttpRequestMessage(method, url)
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["payload"] = new Dictionary<string, object> { ["schema"] = "EMAIL_SHA256", ["data"] = new[] { hashedEmail } },
            }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", o.AccessToken);
        using var response = await ProviderErrors.SendAsync(http, request, Name, cancellationToken, Classify);
    }

    // {"error":{"message":"…","type":"OAuthException","code":80003,"fbtrace_id":"…"}}
    private static string? Classify(int status, string body) => ProviderErrors.ReadJson(body, root =>
        root.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var code) && code.TryGetInt32(out var value)
        && ThrottleCodes.Contains(value)
            ? ProviderErrors.ProviderUnavailable
            : null);
}
