/*
 * crt: the one owner of curses. It creates the screen with newterm (a
 * failure is our error, not an exit inside curses), sets up colours and
 * the styles every view draws with, reads keys, and tears the terminal
 * down: on return, on exit(), on SIGINT/SIGTERM/SIGHUP (handlers only set
 * a flag; the main loop notices) and on fatal signals (async-signal-safe
 * writes of the reset sequences, then the signal is raised again).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tui.h"
#include "xmalloc.h"

#include <term.h>	/* after tui.h: it defines "lines" and "columns" */

static SCREEN	*crt_screen;
static WINDOW	*crt_input;
static int	 crt_colour;
static int	 crt_mouse_on;
static attr_t	 crt_styles[CRT_STYLE_MAX];

/* For the fatal-signal reset: prepared while curses is up. */
static int		 crt_tty_fd = -1;
static int		 crt_in_fd = -1;	/* the keys */
static struct termios	 crt_tty_saved;
static int		 crt_tty_saved_ok;
static char		 crt_reset[256];
static size_t		 crt_reset_len;
static volatile sig_atomic_t crt_live;
static volatile sig_atomic_t crt_pending;

enum crt_style
crt_severity(const char *severity)
{
	return strcmp(severity, "error") == 0 ? CRT_ERROR :
	    strcmp(severity, "warning") == 0 ? CRT_WARNING : CRT_NORMAL;
}

int
crt_active(void)
{
	return crt_screen != NULL;
}

int
crt_has_colour(void)
{
	return crt_colour;
}

attr_t
crt_attr(enum crt_style s)
{
	if ((unsigned)s >= CRT_STYLE_MAX)
		return A_NORMAL;
	return crt_styles[s];
}

enum {
	PAIR_TITLE = 1, PAIR_HEADER, PAIR_ERROR, PAIR_WARNING, PAIR_HIGHLIGHT,
	PAIR_OK, PAIR_BAR_LABEL, PAIR_DIALOG, PAIR_DIALOG_TITLE, PAIR_FOCUS,
	PAIR_DISABLED, PAIR_BORDER, PAIR_STATUS_ERROR, PAIR_CURSOR,
	PAIR_LOG_ERROR, PAIR_LOG_WARNING
};

static void
crt_styles_mono(void)
{
	memset(crt_styles, 0, sizeof crt_styles);
	crt_styles[CRT_TITLE] = A_REVERSE;
	crt_styles[CRT_HEADER] = A_UNDERLINE;
	crt_styles[CRT_HEADER_SORT] = A_UNDERLINE | A_BOLD;
	crt_styles[CRT_CURSOR] = A_REVERSE;
	crt_styles[CRT_CURSOR_DIM] = A_UNDERLINE;
	crt_styles[CRT_ERROR] = A_BOLD;
	crt_styles[CRT_WARNING] = A_UNDERLINE;
	crt_styles[CRT_HIGHLIGHT] = A_BOLD | A_UNDERLINE;
	crt_styles[CRT_DIM] = A_DIM;
	crt_styles[CRT_OK] = A_NORMAL;
	crt_styles[CRT_BAR_KEY] = A_BOLD;
	crt_styles[CRT_BAR_LABEL] = A_REVERSE;
	crt_styles[CRT_STATUS] = A_NORMAL;
	crt_styles[CRT_STATUS_ERROR] = A_BOLD;
	crt_styles[CRT_DIALOG] = A_NORMAL;
	crt_styles[CRT_DIALOG_TITLE] = A_BOLD;
	crt_styles[CRT_FOCUS] = A_REVERSE;
	crt_styles[CRT_DISABLED] = A_DIM;
	crt_styles[CRT_BORDER] = A_NORMAL;
	crt_styles[CRT_TREE_GROUP] = A_BOLD;
	/* Without colour the log's marker column tells the type. */
	crt_styles[CRT_LOG_ERROR] = A_BOLD;
	crt_styles[CRT_LOG_WARNING] = A_NORMAL;
}

static void
crt_styles_colour(void)
{
	crt_styles_mono();
	init_pair(PAIR_TITLE, COLOR_WHITE, COLOR_BLUE);
	init_pair(PAIR_HEADER, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_ERROR, COLOR_RED, -1);
	init_pair(PAIR_WARNING, COLOR_YELLOW, -1);
	init_pair(PAIR_HIGHLIGHT, COLOR_WHITE, COLOR_MAGENTA);
	init_pair(PAIR_OK, COLOR_GREEN, -1);
	init_pair(PAIR_BAR_LABEL, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_DIALOG, -1, -1);
	init_pair(PAIR_DIALOG_TITLE, COLOR_CYAN, -1);
	init_pair(PAIR_FOCUS, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_DISABLED, COLOR_BLUE, -1);
	init_pair(PAIR_BORDER, COLOR_CYAN, -1);
	init_pair(PAIR_STATUS_ERROR, COLOR_WHITE, COLOR_RED);
	init_pair(PAIR_CURSOR, COLOR_BLACK, COLOR_CYAN);
	init_pair(PAIR_LOG_ERROR, COLOR_BLACK, COLOR_RED);	/* CMTrace */
	init_pair(PAIR_LOG_WARNING, COLOR_BLACK, COLOR_YELLOW);
	crt_styles[CRT_TITLE] = COLOR_PAIR(PAIR_TITLE) | A_BOLD;
	crt_styles[CRT_HEADER] = COLOR_PAIR(PAIR_HEADER);
	crt_styles[CRT_HEADER_SORT] = COLOR_PAIR(PAIR_HEADER) | A_BOLD;
	crt_styles[CRT_CURSOR] = A_REVERSE;
	crt_styles[CRT_CURSOR_DIM] = COLOR_PAIR(PAIR_CURSOR);
	crt_styles[CRT_ERROR] = COLOR_PAIR(PAIR_ERROR) | A_BOLD;
	crt_styles[CRT_WARNING] = COLOR_PAIR(PAIR_WARNING) | A_BOLD;
	crt_styles[CRT_HIGHLIGHT] = COLOR_PAIR(PAIR_HIGHLIGHT) | A_BOLD;
	crt_styles[CRT_OK] = COLOR_PAIR(PAIR_OK);
	crt_styles[CRT_BAR_KEY] = A_BOLD;
	crt_styles[CRT_BAR_LABEL] = COLOR_PAIR(PAIR_BAR_LABEL);
	crt_styles[CRT_STATUS_ERROR] = COLOR_PAIR(PAIR_STATUS_ERROR) | A_BOLD;
	crt_styles[CRT_DIALOG] = COLOR_PAIR(PAIR_DIALOG);
	crt_styles[CRT_DIALOG_TITLE] = COLOR_PAIR(PAIR_DIALOG_TITLE) | A_BOLD;
	crt_styles[CRT_FOCUS] = COLOR_PAIR(PAIR_FOCUS);
	crt_styles[CRT_DISABLED] = COLOR_PAIR(PAIR_DISABLED) | A_BOLD;
	crt_styles[CRT_BORDER] = COLOR_PAIR(PAIR_BORDER);
	crt_styles[CRT_LOG_ERROR] = COLOR_PAIR(PAIR_LOG_ERROR);
	crt_styles[CRT_LOG_WARNING] = COLOR_PAIR(PAIR_LOG_WARNING);
}

/* Append a terminfo string to the emergency reset sequence. */
static void
crt_reset_add(const char *cap)
{
	char *s = tigetstr(cap);
	size_t n;

	if (s == NULL || s == (char *)-1)
		return;
	n = strlen(s);
	if (crt_reset_len + n >= sizeof crt_reset)
		return;
	memcpy(crt_reset + crt_reset_len, s, n);
	crt_reset_len += n;
}

static void
crt_atexit(void)
{
	crt_close();
}

int
crt_open(const char *term, FILE *out, FILE *in, int flags, char **cause)
{
	static int registered;
	const char *nc;
	char *msg = NULL;

	*cause = NULL;
	if (crt_screen != NULL) {
		*cause = xstrdup("the screen is already open");
		return -1;
	}
	if (term == NULL && ((term = getenv("TERM")) == NULL || *term == '\0')) {
		*cause = xstrdup("TERM is not set: cannot tell what the terminal"
		    " can do");
		return -1;
	}
	crt_tty_fd = fileno(out);
	crt_in_fd = fileno(in);
	crt_tty_saved_ok = isatty(crt_tty_fd) &&
	    tcgetattr(crt_tty_fd, &crt_tty_saved) == 0;
	if ((crt_screen = newterm(term, out, in)) == NULL) {
		crt_in_fd = -1;
		xasprintf(&msg, "cannot use terminal type '%s' (no terminfo"
		    " entry?)", term);
		*cause = msg;
		return -1;
	}
	set_term(crt_screen);
	/* A terminal that cannot move the cursor (TERM=dumb) would show a
	 * blank screen: refused like an unknown one. */
	nc = tigetstr("cup");
	if (nc == NULL || nc == (char *)-1) {
		endwin();
		delscreen(crt_screen);
		crt_screen = NULL;
		crt_in_fd = -1;
		xasprintf(&msg, "terminal type '%s' cannot move the cursor"
		    " (its terminfo entry has no cup): set TERM to the"
		    " terminal's type, e.g. xterm-256color", term);
		*cause = msg;
		return -1;
	}
	if (!registered) {
		atexit(crt_atexit);
		registered = 1;
	}
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	set_escdelay(25);
	curs_set(0);

	nc = getenv("NO_COLOR");
	crt_colour = !(flags & CRT_NO_COLOUR) && (nc == NULL || *nc == '\0') &&
	    has_colors() && start_color() == OK;
	if (crt_colour) {
		use_default_colors();
		crt_styles_colour();
	} else
		crt_styles_mono();

	crt_input = newwin(1, 1, 0, 0);
	keypad(crt_input, TRUE);
	/* Refreshed once now so wgetch() never repaints it later. */
	wnoutrefresh(crt_input);

	crt_mouse_on = 0;
	if ((flags & CRT_MOUSE) && !(flags & CRT_NO_INPUT)) {
		mmask_t want = BUTTON1_PRESSED | BUTTON1_CLICKED |
		    BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
		want |= BUTTON5_PRESSED;
#endif
		if (mousemask(want, NULL) != 0) {
			crt_mouse_on = 1;
			mouseinterval(0);
		}
	}

	crt_reset_len = 0;
	if (crt_mouse_on) {
		static const char off[] = "\033[?1000l\033[?1002l\033[?1006l";
		memcpy(crt_reset, off, sizeof off - 1);
		crt_reset_len = sizeof off - 1;
	}
	crt_reset_add("sgr0");
	crt_reset_add("cnorm");
	crt_reset_add("rmkx");
	crt_reset_add("rmcup");
	crt_live = 1;
	return 0;
}

void
crt_close(void)
{
	if (crt_screen == NULL)
		return;
	crt_live = 0;
	if (crt_mouse_on)
		mousemask(0, NULL);
	if (crt_input != NULL)
		delwin(crt_input);
	crt_input = NULL;
	crt_in_fd = -1;
	curs_set(1);
	endwin();
	delscreen(crt_screen);
	crt_screen = NULL;
	crt_mouse_on = 0;
}

/*
 * No key, because the terminal is gone (its window closed, the ssh
 * connection lost)? A console that is not its session's leader (under a
 * shell, as make run starts it) may get no SIGHUP then, only end-of-file
 * at every read: this says so, and crt_getch() acts as on SIGHUP instead
 * of reading the closed terminal again at once, for ever.
 */
static int
crt_hung_up(void)
{
	struct pollfd p = { .fd = crt_in_fd, .events = POLLIN };

	return crt_in_fd != -1 && poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0;
}

int
crt_getch(int timeout_ms)
{
	int c;

	if (crt_input == NULL)
		return ERR;
	if (crt_pending)
		return ERR;
	wtimeout(crt_input, timeout_ms);
	if ((c = wgetch(crt_input)) == ERR && crt_hung_up())
		crt_pending = SIGHUP;
	return c;
}

/* Drop every key typed so far (after long work: nothing typed during it
 * acts on what follows). */
void
crt_flush_input(void)
{
	if (crt_input != NULL)
		flushinp();
}

int
crt_get_mouse(int *y, int *x, int *button)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return -1;
	*y = ev.y;
	*x = ev.x;
	*button = 0;
	if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
		*button = 1;
	if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
		*button = 2;
	if (ev.bstate & BUTTON4_PRESSED)
		*button = 4;
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED)
		*button = 5;
#endif
	return 0;
}

void
crt_cursor(int visible)
{
	curs_set(visible ? 1 : 0);
}

void
crt_size(int *nlines, int *ncols)
{
	getmaxyx(stdscr, *nlines, *ncols);
}

void
crt_repaint_all(void)
{
	clearok(curscr, TRUE);
	/* ncurses grows a window that touched the screen's right and bottom
	 * edges with the screen: after a 1x1 terminal the input window is as
	 * large as the screen, and wgetch() would repaint it, blank, over
	 * what was drawn. Back to one cell, and refreshed now, so it never
	 * is. */
	wresize(crt_input, 1, 1);
	wnoutrefresh(crt_input);
}

void
crt_resize(int nlines, int ncols)
{
	resizeterm(nlines, ncols);
}

static void
crt_on_signal(int sig)
{
	crt_pending = sig;
}

static void
crt_on_fatal(int sig)
{
	ssize_t r;

	if (crt_live) {
		if (crt_reset_len > 0 && crt_tty_fd != -1)
			r = write(crt_tty_fd, crt_reset, crt_reset_len);
		if (crt_tty_saved_ok)
			tcsetattr(crt_tty_fd, TCSANOW, &crt_tty_saved);
		r = write(STDERR_FILENO, "\r\nehttp-console: fatal signal\r\n",
		    31);
		(void)r;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

void
crt_signals_install(void)
{
	static const int soft[] = { SIGINT, SIGTERM, SIGHUP };
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction sa;

	/* Before newterm: curses then leaves these handlers alone. */
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = crt_on_signal;
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read returns */
	for (size_t i = 0; i < sizeof soft / sizeof soft[0]; i++)
		sigaction(soft[i], &sa, NULL);
	sa.sa_handler = crt_on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
		sigaction(fatal[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
crt_signal_pending(void)
{
	return crt_pending;
}
