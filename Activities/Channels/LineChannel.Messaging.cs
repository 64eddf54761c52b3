using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace AbandonedCart.Activities.Channels;

/// <summary><c>Providers:Line</c>: a Messaging API channel.</summary>
public sealed class LineOptions : IProviderOptions
{
    public const string Section = "Providers:Line";

    /// <summary>The long-lived channel access token: configuration or environment only.</summary>
    public string ChannelAccessToken { get; set; } = string.Empty;

    public string BaseUrl { get; set; } = "https://api.line.me";

    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(ChannelAccessToken))
        {
            yield return "ChannelAccessToken is required";
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out _))
        {
            yield return "BaseUrl must be an absolute URL";
        }
    }
}

/// <summary>LINE Messaging API push (<c>POST /v2/bot/message/push</c>), idempotent through <c>X-Line-Retry-Key</c>.</summary>
public sealed class LinePushSender(HttpClient http, IOptions<LineOptions> options) : IChannelSender
{
    public const string Name = "line";

    public string Channel => Workflows.Channels.Line;

    public string Provider => Name;

    public async Task<ProviderReceipt> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var to = message.Customer.LineUserId;
        if (string.IsNullOrWhiteSpace(to))
        {
            throw ProviderErrors.Rejected(Name, "the customer has no LINE user id", ProviderErrors.InvalidAddress, "line_user_id");
        }

        var o = options.Value;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"{o.BaseUrl.TrimEnd('/')}/v2/bot/message/push"))
        {
            Content = JsonContent.Create(new Dictionary<string, object> { ["to"] = to, ["messages"] = Messages(message) }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", o.ChannelAccessToken);

        // The same key on every retry of this step: LINE accepts it once and answers 409 to the repeats.
        request.Headers.Add("X-Line-Retry-Key", MessageText.IdempotencyUuid(message.IdempotencyKey).ToString());

        var response = await ProviderErrors.CallAsync(Name, () => http.SendAsync(request, cancellationToken), cancellationToken);
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Conflict && response.Headers.TryGetValues("x-line-accepted-request-id", out var accepted))
            {
                return new ProviderReceipt(Name, accepted.FirstOrDefault());
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw ProviderErrors.FromStatus(Name, (int)response.StatusCode, body, ProviderErrors.RetryAfter(response), Classify, "line_user_id");
            }

            return new ProviderReceipt(Name, response.Headers.TryGetValues("x-line-request-id", out var ids) ? ids.FirstOrDefault() : null);
        }
    }

    private static List<Dictionary<string, object>> Messages(OutboundMessage message)
    {
        var link = MessageText.Link(message);
        var messages = new List<Dictionary<string, object>>
        {
            new() { ["type"] = "text", ["text"] = link is null ? MessageText.Body(message) : $"{MessageText.Body(message)}\n{link}" },
        };
        if (MessageText.Image(message) is { } image && image.StartsWith("https://", StringComparison.Ordinal))
        {
            messages.Insert(0, new() { ["type"] = "image", ["originalContentUrl"] = image, ["previewImageUrl"] = image });
        }

        return messages;
    }

    // LINE answers 400 {"message":"The request body has 1 error(s)","details":[{"message":"Invalid user ID","property":"to"}]}.
    private static string? Classify(int status, string body) => ProviderErrors.ReadJson(body, root =>
        root.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array
        && details.EnumerateArray().Any(d => d.TryGetProperty("property", out var p) && p.GetString() == "to")
            ? ProviderErrors.InvalidAddress
            : null);
}
